console.log("bridge")
