;; Separable Gaussian filtering of a 3D f32 volume in WebAssembly SIMD, bit-identical to convolveAxis in convolve.ts:
;; every output is 0 + k[0]·x[0] + k[1]·x[1] + … in f64 (kernel and samples promoted from f32, separate mul and add,
;; no fused multiply-add), in the same order, rounded to f32 once at the end; borders replicate the edge voxel. Two
;; neighbouring outputs share one f64x2 register, and two registers run side by side, so each kernel weight is
;; loaded once per four outputs. Hand-written: no library does anisotropic separable filtering on our layout in
;; WebAssembly, and the module is under 1 kB.
;; Build: node scripts/build-wasm.mjs (writes conv.wasm.ts); a unit test checks it against the JavaScript loop.
(module
  (memory (export "memory") 1)

  ;; Along x (contiguous): rows of nx samples, nrows of them. src, dst: f32; kern: K f64 (odd K, radius r = K/2).
  (func (export "conv_x") (param $src i32) (param $dst i32) (param $nx i32) (param $nrows i32) (param $kern i32) (param $K i32)
    (local $r i32) (local $row i32) (local $x i32) (local $q i32) (local $base i32) (local $p i32) (local $kp i32)
    (local $lo i32) (local $hi i32) (local $a0 v128) (local $a1 v128) (local $kv v128) (local $acc f64) (local $t i32)
    (local.set $r (i32.shr_u (local.get $K) (i32.const 1)))
    ;; outputs x in [lo, hi) read no sample outside the row: x − r ≥ 0 and x + r ≤ nx − 1
    (local.set $lo (local.get $r))
    (local.set $hi (i32.sub (local.get $nx) (local.get $r)))
    (block $rowsdone (loop $rows
      (br_if $rowsdone (i32.ge_u (local.get $row) (local.get $nrows)))
      (local.set $base (i32.add (local.get $src) (i32.shl (i32.mul (local.get $row) (local.get $nx)) (i32.const 2))))
      (local.set $x (i32.const 0))
      (block $xdone (loop $xs
        (br_if $xdone (i32.ge_s (local.get $x) (local.get $nx)))
        (if (i32.and (i32.ge_s (local.get $x) (local.get $lo)) (i32.le_s (i32.add (local.get $x) (i32.const 4)) (local.get $hi)))
          (then
            ;; four outputs x … x+3, no clamping
            (local.set $a0 (f64x2.splat (f64.const 0)))
            (local.set $a1 (f64x2.splat (f64.const 0)))
            (local.set $p (i32.add (local.get $base) (i32.shl (i32.sub (local.get $x) (local.get $r)) (i32.const 2))))
            (local.set $kp (local.get $kern))
            (local.set $q (local.get $K))
            (block $qdone (loop $qs
              (br_if $qdone (i32.eqz (local.get $q)))
              (local.set $kv (v128.load64_splat (local.get $kp)))
              (local.set $a0 (f64x2.add (local.get $a0) (f64x2.mul (local.get $kv) (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $p))))))
              (local.set $a1 (f64x2.add (local.get $a1) (f64x2.mul (local.get $kv) (f64x2.promote_low_f32x4 (v128.load64_zero offset=8 (local.get $p))))))
              (local.set $p (i32.add (local.get $p) (i32.const 4)))
              (local.set $kp (i32.add (local.get $kp) (i32.const 8)))
              (local.set $q (i32.sub (local.get $q) (i32.const 1)))
              (br $qs)))
            (local.set $t (i32.add (local.get $dst) (i32.shl (i32.add (i32.mul (local.get $row) (local.get $nx)) (local.get $x)) (i32.const 2))))
            (v128.store64_lane 0 (local.get $t) (f32x4.demote_f64x2_zero (local.get $a0)))
            (v128.store64_lane offset=8 0 (local.get $t) (f32x4.demote_f64x2_zero (local.get $a1)))
            (local.set $x (i32.add (local.get $x) (i32.const 4))))
          (else
            ;; one output near a border: sample indices clamped to the row
            (local.set $acc (f64.const 0))
            (local.set $q (i32.const 0))
            (block $q2done (loop $q2s
              (br_if $q2done (i32.ge_u (local.get $q) (local.get $K)))
              (local.set $p (i32.sub (i32.add (local.get $x) (local.get $q)) (local.get $r)))
              (if (i32.lt_s (local.get $p) (i32.const 0)) (then (local.set $p (i32.const 0))))
              (if (i32.ge_s (local.get $p) (local.get $nx)) (then (local.set $p (i32.sub (local.get $nx) (i32.const 1)))))
              (local.set $acc (f64.add (local.get $acc)
                (f64.mul (f64.load (i32.add (local.get $kern) (i32.shl (local.get $q) (i32.const 3))))
                         (f64.promote_f32 (f32.load (i32.add (local.get $base) (i32.shl (local.get $p) (i32.const 2))))))))
              (local.set $q (i32.add (local.get $q) (i32.const 1)))
              (br $q2s)))
            (f32.store (i32.add (local.get $dst) (i32.shl (i32.add (i32.mul (local.get $row) (local.get $nx)) (local.get $x)) (i32.const 2)))
              (f32.demote_f64 (local.get $acc)))
            (local.set $x (i32.add (local.get $x) (i32.const 1)))))
        (br $xs)))
      (local.set $row (i32.add (local.get $row) (i32.const 1)))
      (br $rows))))

  ;; Along a strided axis: for o < nOuter, t < n, x < len:
  ;;   dst[o·ostride + t·stride + x] = Σ_q k[q] · src[o·ostride + clamp(t + q − r)·stride + x]
  ;; (y: len = nx, stride = nx, nOuter = nz, ostride = nx·ny; z: len = stride = nx·ny, nOuter = 1.)
  ;; Rows are read whole, in chunks of up to 256 outputs kept as f64 in `acc` (2 kB at byte offset $acc), so memory
  ;; is read in order; each output still sums its terms in kernel order.
  (func (export "conv_strided") (param $src i32) (param $dst i32) (param $len i32) (param $n i32) (param $stride i32)
    (param $nOuter i32) (param $ostride i32) (param $kern i32) (param $K i32) (param $acc i32)
    (local $r i32) (local $o i32) (local $t i32) (local $x0 i32) (local $xe i32) (local $x i32) (local $q i32)
    (local $s i32) (local $rowp i32) (local $ap i32) (local $kv v128) (local $kf f64) (local $obase i32) (local $w i32)
    (local.set $r (i32.shr_u (local.get $K) (i32.const 1)))
    (block $odone (loop $os
      (br_if $odone (i32.ge_u (local.get $o) (local.get $nOuter)))
      (local.set $obase (i32.mul (local.get $o) (local.get $ostride)))
      (local.set $t (i32.const 0))
      (block $tdone (loop $ts
        (br_if $tdone (i32.ge_u (local.get $t) (local.get $n)))
        (local.set $x0 (i32.const 0))
        (block $cdone (loop $cs
          (br_if $cdone (i32.ge_u (local.get $x0) (local.get $len)))
          (local.set $xe (i32.add (local.get $x0) (i32.const 256)))
          (if (i32.gt_u (local.get $xe) (local.get $len)) (then (local.set $xe (local.get $len))))
          (local.set $w (i32.sub (local.get $xe) (local.get $x0)))
          ;; acc = 0
          (local.set $x (i32.const 0))
          (block $zdone (loop $zs
            (br_if $zdone (i32.ge_u (local.get $x) (local.get $w)))
            (v128.store (i32.add (local.get $acc) (i32.shl (local.get $x) (i32.const 3))) (f64x2.splat (f64.const 0)))
            (local.set $x (i32.add (local.get $x) (i32.const 2)))
            (br $zs)))
          (local.set $q (i32.const 0))
          (block $qdone (loop $qs
            (br_if $qdone (i32.ge_u (local.get $q) (local.get $K)))
            (local.set $s (i32.sub (i32.add (local.get $t) (local.get $q)) (local.get $r)))
            (if (i32.lt_s (local.get $s) (i32.const 0)) (then (local.set $s (i32.const 0))))
            (if (i32.ge_s (local.get $s) (local.get $n)) (then (local.set $s (i32.sub (local.get $n) (i32.const 1)))))
            (local.set $rowp (i32.add (local.get $src) (i32.shl (i32.add (i32.add (local.get $obase) (i32.mul (local.get $s) (local.get $stride))) (local.get $x0)) (i32.const 2))))
            (local.set $kv (v128.load64_splat (i32.add (local.get $kern) (i32.shl (local.get $q) (i32.const 3)))))
            (local.set $kf (f64.load (i32.add (local.get $kern) (i32.shl (local.get $q) (i32.const 3)))))
            (local.set $ap (local.get $acc))
            (local.set $x (i32.const 0))
            ;; pairs of outputs
            (block $xdone (loop $xs
              (br_if $xdone (i32.gt_u (i32.add (local.get $x) (i32.const 2)) (local.get $w)))
              (v128.store (local.get $ap) (f64x2.add (v128.load (local.get $ap))
                (f64x2.mul (local.get $kv) (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $rowp))))))
              (local.set $ap (i32.add (local.get $ap) (i32.const 16)))
              (local.set $rowp (i32.add (local.get $rowp) (i32.const 8)))
              (local.set $x (i32.add (local.get $x) (i32.const 2)))
              (br $xs)))
            ;; an odd last output
            (if (i32.lt_u (local.get $x) (local.get $w)) (then
              (f64.store (local.get $ap) (f64.add (f64.load (local.get $ap))
                (f64.mul (local.get $kf) (f64.promote_f32 (f32.load (local.get $rowp))))))))
            (local.set $q (i32.add (local.get $q) (i32.const 1)))
            (br $qs)))
          ;; dst row chunk = f32(acc)
          (local.set $rowp (i32.add (local.get $dst) (i32.shl (i32.add (i32.add (local.get $obase) (i32.mul (local.get $t) (local.get $stride))) (local.get $x0)) (i32.const 2))))
          (local.set $x (i32.const 0))
          (block $wdone (loop $ws
            (br_if $wdone (i32.ge_u (local.get $x) (local.get $w)))
            (f32.store (i32.add (local.get $rowp) (i32.shl (local.get $x) (i32.const 2)))
              (f32.demote_f64 (f64.load (i32.add (local.get $acc) (i32.shl (local.get $x) (i32.const 3))))))
            (local.set $x (i32.add (local.get $x) (i32.const 1)))
            (br $ws)))
          (local.set $x0 (local.get $xe))
          (br $cs)))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br $ts)))
      (local.set $o (i32.add (local.get $o) (i32.const 1)))
      (br $os))))
)
