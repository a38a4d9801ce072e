;; The linear head's dot products in WebAssembly SIMD: two classes per f64x2 lane pair, so each feature value is
;; promoted to f64 once and multiplied with two classes' weights in one instruction. Every class's sum runs over the
;; channels in the same order, in f64, with separate mul and add (no fused multiply-add), exactly as the JavaScript
;; kernel in predict.ts does, so the logits are bit-identical to it. Hand-written: no library offers a batched
;; gather-score kernel on our feature layout, and the module is 0.5 kB.
;; Build: node scripts/build-wasm.mjs (writes linear-score.wasm.ts); a unit test checks the two agree.
(module
  (memory (export "memory") 1)
  ;; For voxel v < n and class pair p < pairs:
  ;;   out[v][p] = init[v][p] + sum over d < F of w[p][d] * x[v][d]      (f64x2 lanes = classes 2p, 2p+1)
  ;; x: n×F f32; w: pairs×F f64x2; init, out: n×pairs f64x2 (byte offsets into memory).
  (func (export "score") (param $n i32) (param $F i32) (param $pairs i32) (param $x i32) (param $w i32) (param $init i32) (param $out i32)
    (local $v i32) (local $p i32) (local $d i32) (local $xp i32) (local $xrow i32) (local $wp0 i32) (local $wp1 i32)
    (local $a0 v128) (local $a1 v128) (local $xv v128) (local $io i32) (local $Fb i32)
    (local.set $Fb (i32.mul (local.get $F) (i32.const 16)))
    (block $vdone (loop $vloop
      (br_if $vdone (i32.ge_u (local.get $v) (local.get $n)))
      (local.set $io (i32.mul (i32.mul (local.get $v) (local.get $pairs)) (i32.const 16)))
      (local.set $xrow (i32.add (local.get $x) (i32.mul (i32.mul (local.get $v) (local.get $F)) (i32.const 4))))
      (local.set $p (i32.const 0))
      ;; two pairs (four classes) at a time: the feature value is loaded once for both
      (block $pdone (loop $ploop
        (br_if $pdone (i32.gt_u (i32.add (local.get $p) (i32.const 2)) (local.get $pairs)))
        (local.set $a0 (v128.load (i32.add (local.get $init) (i32.add (local.get $io) (i32.mul (local.get $p) (i32.const 16))))))
        (local.set $a1 (v128.load (i32.add (local.get $init) (i32.add (local.get $io) (i32.mul (i32.add (local.get $p) (i32.const 1)) (i32.const 16))))))
        (local.set $xp (local.get $xrow))
        (local.set $wp0 (i32.add (local.get $w) (i32.mul (local.get $p) (local.get $Fb))))
        (local.set $wp1 (i32.add (local.get $wp0) (local.get $Fb)))
        (local.set $d (local.get $F))
        (block $ddone (loop $dloop
          (br_if $ddone (i32.eqz (local.get $d)))
          (local.set $xv (f64x2.splat (f64.promote_f32 (f32.load (local.get $xp)))))
          (local.set $a0 (f64x2.add (local.get $a0) (f64x2.mul (v128.load (local.get $wp0)) (local.get $xv))))
          (local.set $a1 (f64x2.add (local.get $a1) (f64x2.mul (v128.load (local.get $wp1)) (local.get $xv))))
          (local.set $xp (i32.add (local.get $xp) (i32.const 4)))
          (local.set $wp0 (i32.add (local.get $wp0) (i32.const 16)))
          (local.set $wp1 (i32.add (local.get $wp1) (i32.const 16)))
          (local.set $d (i32.sub (local.get $d) (i32.const 1)))
          (br $dloop)))
        (v128.store (i32.add (local.get $out) (i32.add (local.get $io) (i32.mul (local.get $p) (i32.const 16)))) (local.get $a0))
        (v128.store (i32.add (local.get $out) (i32.add (local.get $io) (i32.mul (i32.add (local.get $p) (i32.const 1)) (i32.const 16)))) (local.get $a1))
        (local.set $p (i32.add (local.get $p) (i32.const 2)))
        (br $ploop)))
      ;; the last pair when the number of pairs is odd
      (if (i32.lt_u (local.get $p) (local.get $pairs)) (then
        (local.set $a0 (v128.load (i32.add (local.get $init) (i32.add (local.get $io) (i32.mul (local.get $p) (i32.const 16))))))
        (local.set $xp (local.get $xrow))
        (local.set $wp0 (i32.add (local.get $w) (i32.mul (local.get $p) (local.get $Fb))))
        (local.set $d (local.get $F))
        (block $d2done (loop $d2loop
          (br_if $d2done (i32.eqz (local.get $d)))
          (local.set $a0 (f64x2.add (local.get $a0) (f64x2.mul (v128.load (local.get $wp0)) (f64x2.splat (f64.promote_f32 (f32.load (local.get $xp)))))))
          (local.set $xp (i32.add (local.get $xp) (i32.const 4)))
          (local.set $wp0 (i32.add (local.get $wp0) (i32.const 16)))
          (local.set $d (i32.sub (local.get $d) (i32.const 1)))
          (br $d2loop)))
        (v128.store (i32.add (local.get $out) (i32.add (local.get $io) (i32.mul (local.get $p) (i32.const 16)))) (local.get $a0))))
      (local.set $v (i32.add (local.get $v) (i32.const 1)))
      (br $vloop))))
  ;; The trainer's gradient: for row r < n (in order), class pair p, channel d:
  ;;   g[p][d] += e[r][p] * x[r][d]        (f64x2 lanes = classes 2p, 2p+1; separate mul and add)
  ;; — per element the same sum in the same order as the JavaScript trainer. x: n×F f32; e: n×pairs f64x2;
  ;; g: pairs×F f64x2 (the caller zeroes it).
  (func (export "accum") (param $n i32) (param $F i32) (param $pairs i32) (param $x i32) (param $e i32) (param $g i32)
    (local $r i32) (local $p i32) (local $d i32) (local $xp i32) (local $xrow i32) (local $gp i32) (local $ev v128)
    (block $rdone (loop $rloop
      (br_if $rdone (i32.ge_u (local.get $r) (local.get $n)))
      (local.set $xrow (i32.add (local.get $x) (i32.mul (i32.mul (local.get $r) (local.get $F)) (i32.const 4))))
      (local.set $p (i32.const 0))
      (local.set $gp (local.get $g))
      (block $pdone (loop $ploop
        (br_if $pdone (i32.ge_u (local.get $p) (local.get $pairs)))
        (local.set $ev (v128.load (i32.add (local.get $e) (i32.mul (i32.add (i32.mul (local.get $r) (local.get $pairs)) (local.get $p)) (i32.const 16)))))
        (local.set $xp (local.get $xrow))
        (local.set $d (local.get $F))
        (block $ddone (loop $dloop
          (br_if $ddone (i32.eqz (local.get $d)))
          (v128.store (local.get $gp)
            (f64x2.add (v128.load (local.get $gp)) (f64x2.mul (local.get $ev) (f64x2.splat (f64.promote_f32 (f32.load (local.get $xp)))))))
          (local.set $xp (i32.add (local.get $xp) (i32.const 4)))
          (local.set $gp (i32.add (local.get $gp) (i32.const 16)))
          (local.set $d (i32.sub (local.get $d) (i32.const 1)))
          (br $dloop)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $ploop)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rloop))))
)
