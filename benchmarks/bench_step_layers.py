"""Where the `cpu` training step loses against the matmul rate (issue 16, "the step's efficiency"): each
convolution of both components timed alone, forward + backward, at the batch it has in a training step.

    python -m benchmarks.bench_step_layers [--profile cpu] [--precision fp32] [--top 12]

For every Conv2D of component 1 (batch = the images of a step) and of component 2 (batch = its persons of
interest), a layer of the same configuration is built alone and timed (best of 5 after a warm-up) computing
its output and the gradients with respect to its kernel and, except for the first convolution (whose input is
the image), its input, as a step does. Its FLOPs are 3 × the forward's (forward, input gradient, kernel
gradient; 2 × for the first convolution). The sum of the layers' times is set beside the measured step
(`benchmarks.bench_model.train_step_seconds`); the rest is what the convolutions alone do not explain
(pooling, upsampling, concatenations, activations, the losses, the optimizer, and TensorFlow's per-op
overheads). A layer timed alone also pays one `tf.function` call and the copies of its results: the same
measurement of a 1×1 convolution on a 1×1×1 input (the floor, printed) estimates that part, and the sum is
given with and without it. All ratios are against a large fp32 matrix product measured in the same run.
"""

from __future__ import annotations

import argparse
import dataclasses

import numpy as np

from benchmarks.timing import best_of


def _fwd_bwd_seconds(layer, in_shape: tuple, out_shape: tuple, first: bool, repeats: int) -> float:
    """Best-of seconds of a built Conv2D's forward and its kernel (and, unless `first`, input) gradients."""
    import tensorflow as tf

    rng = np.random.default_rng(0)
    x = tf.constant(rng.standard_normal(in_shape).astype(np.float32))
    g = tf.constant(rng.standard_normal(out_shape).astype(np.float32))

    @tf.function
    def fwd_bwd():
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.cast(layer(x), tf.float32)
        sources = [layer.kernel] if first else [x, layer.kernel]
        return tape.gradient(y, sources, output_gradients=g)

    return best_of(lambda: [t.numpy() for t in fwd_bwd()], repeats, warmup=2)


def call_floor_seconds(repeats: int = 20) -> float:
    """The same measurement for a 1×1 convolution of one channel on a 1×1×1 input: what a layer timed alone
    pays besides its arithmetic (the `tf.function` call, the result copies)."""
    import keras

    layer = keras.layers.Conv2D(1, 1)
    layer.build((1, 1, 1, 1))
    return _fwd_bwd_seconds(layer, (1, 1, 1, 1), (1, 1, 1, 1), False, repeats)


def layer_timings(profile: str = "cpu", precision: str = "fp32", repeats: int = 5,
                  overrides: tuple[str, ...] = ()) -> list[dict]:
    """One dict per Conv2D of both components: name, batch, input and output shape, fwd GFLOP, the
    seconds of forward + backward alone and the GFLOP/s that makes. overrides: `--set` strings."""
    import keras

    from posekit.config import apply_overrides, get_profile
    from posekit.model import build_model, precision_policy

    config = apply_overrides(get_profile(profile), list(overrides))
    config = dataclasses.replace(config, train=dataclasses.replace(config.train, precision=precision))
    images = config.train.batch_size // config.train.persons_per_image
    batches = {"component1": images, "component2": config.train.batch_size}
    rows = []
    with precision_policy(precision):
        posenet = build_model(config)
        for comp in (posenet.component1, posenet.component2):
            batch = batches[comp.name]
            convs = [layer for layer in comp.layers if isinstance(layer, keras.layers.Conv2D)]
            for k, layer in enumerate(convs):
                first = comp.name == "component1" and k == 0
                in_shape = (batch, *layer.input.shape[1:])
                alone = keras.layers.Conv2D.from_config(layer.get_config())
                alone.build(in_shape)
                out_shape = (batch, *layer.output.shape[1:])
                seconds = _fwd_bwd_seconds(alone, in_shape, out_shape, first, repeats)
                _, h, w, c_out = layer.output.shape
                kh, kw, c_in, _ = layer.kernel.shape
                gflop = 2 * batch * h * w * kh * kw * c_in * c_out / 1e9
                passes = 2 if first else 3
                rows.append({"component": comp.name, "layer": layer.name, "batch": batch,
                             "input": "×".join(str(s) for s in layer.input.shape[1:]),
                             "output": "×".join(str(s) for s in layer.output.shape[1:]),
                             "fwd_GFLOP": gflop, "seconds": seconds,
                             "GFLOP_per_s": passes * gflop / seconds})
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--profile", default="cpu")
    p.add_argument("--precision", default="fp32", choices=("fp32", "bf16"))
    p.add_argument("--top", type=int, default=12, help="layers listed, slowest first (default 12)")
    args = p.parse_args(argv)
    from posekit.quiet import import_tensorflow

    import_tensorflow()
    from benchmarks.bench_model import matmul_gflops, train_step_seconds

    peak = matmul_gflops()
    step = train_step_seconds(args.profile, args.precision)
    rows = layer_timings(args.profile, args.precision)
    floor = call_floor_seconds()
    total = sum(r["seconds"] for r in rows)
    net = sum(max(r["seconds"] - floor, 0.0) for r in rows)
    flop = sum((2 if i == 0 else 3) * r["fwd_GFLOP"] for i, r in enumerate(rows))
    print(f"fp32 matmul: {peak:.0f} GFLOP/s; {args.profile} training step ({args.precision}): {step:.4f} s")
    print(f"{len(rows)} convolutions alone, forward + backward: {total:.4f} s "
          f"({total / step:.2f} of the step), "
          f"{flop:.1f} GFLOP at {flop / total:.0f} GFLOP/s ({flop / total / peak:.2f} of the matmul rate); "
          f"the rest of the step: {step - total:.4f} s ({(step - total) / step:.2f})")
    print(f"call floor of a layer timed alone: {1000 * floor:.2f} ms; without it the convolutions take "
          f"{net:.4f} s ({net / step:.2f} of the step, {flop / net / peak:.2f} of the matmul rate), the rest "
          f"{step - net:.4f} s ({(step - net) / step:.2f})")
    print(f"{'component':<11} {'layer':<24} {'B':>2} {'input':<12} {'output':<12} {'fwd GFLOP':>9} "
          f"{'ms':>7} {'share':>6} {'GFLOP/s':>8} {'÷matmul':>7}")
    for r in sorted(rows, key=lambda r: -r["seconds"])[: args.top]:
        print(f"{r['component']:<11} {r['layer']:<24} {r['batch']:>2} {r['input']:<12} {r['output']:<12} "
              f"{r['fwd_GFLOP']:>9.3f} {1000 * r['seconds']:>7.2f} {r['seconds'] / step:>6.1%} "
              f"{r['GFLOP_per_s']:>8.0f} {r['GFLOP_per_s'] / peak:>7.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
