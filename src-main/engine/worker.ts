console.log("w")
