"""Test tolerances derived from the dtype and the size of the sums, never from one CPU's rounding.

Not a test module (no `test_` prefix): imported by the tests that compare floating-point results computed
two ways (another summation order, another kernel library, another backend). The standard bound for a sum
of n terms in a floating-point type with unit roundoff u = eps / 2, in any order and with or without FMA, is
|fl(Σ x_i) - Σ x_i| <= (n - 1) · u · Σ |x_i| (Higham, *Accuracy and Stability of Numerical Algorithms*,
§4.2) — so two implementations that sum the same terms differently differ by at most twice that, whichever
instruction set (SSE, AVX2, AVX-512, AMX, a GPU) each one runs on. Blocked and pairwise orders give far
less; the bound is the one that holds for every order, which is what "portable" needs.

The float64 closed-form checks of the suite (geometry, targets, evaluation counts) keep numpy's and pytest's
default tolerances (assert_allclose rtol 1e-7, approx rel 1e-6): they involve a handful of operations, whose
rounding (a few ulp, 1e-15, whichever SIMD path numpy's exp/log take) is eight orders of magnitude below.
Float32 results of the network are compared with the bounds below.
"""

from __future__ import annotations

import numpy as np

#: float32 machine epsilon (2**-23) and unit roundoff (2**-24).
F32_EPS = float(np.finfo(np.float32).eps)
F32_U = F32_EPS / 2


def sum_atol(n_terms: int, abs_sum: float, eps: float = F32_EPS) -> float:
    """Largest difference between two float sums of the same `n_terms` terms (any order): 2·(n-1)·u·Σ|x|."""
    return 2.0 * max(n_terms - 1, 1) * (eps / 2) * float(abs_sum)


def conv_terms(config, extra_inputs: int = 16) -> int:
    """Terms of the longest sum in one convolution of `config`'s network: 3×3 kernels over C + 16 input
    channels (component 2's first convolution sees the features, 15 multi-person heatmaps and the head)."""
    return 9 * (config.network.num_filters + extra_inputs)


def network_depth(config) -> int:
    """Convolutions on the longest path image -> single-person heatmaps: the feature blocks, both U-Nets
    (contracting convs on every level, expanding convs on all but the lowest) and the two heatmap layers."""
    n = config.network
    unet = n.convs_per_level * n.num_levels + n.convs_per_level * (n.num_levels - 1)
    return n.feature_blocks * n.convs_per_feature_block + 2 * unet + 2


def component2_depth(config) -> int:
    """Convolutions of component 2 alone: its U-Net and its heatmap layer."""
    n = config.network
    return n.convs_per_level * n.num_levels + n.convs_per_level * (n.num_levels - 1) + 1


def component2_rtol(config) -> float:
    """`network_rtol` for component 2 alone (its inputs equal on both sides)."""
    return component2_depth(config) * sum_atol(conv_terms(config), 1.0)


def network_rtol(config, passes: int = 1) -> float:
    """Relative difference of a network output (or, with passes=2, of a gradient: forward + backward) between
    two implementations: each convolution adds at most 2·(n-1)·u relative to its terms' magnitude, and the
    rounding of `depth` layers in a row adds up (ReLU and tanh are 1-Lipschitz, pooling and upsampling exact,
    the He init keeps activations of order 1). A worst-case bound: observed differences are far smaller."""
    return passes * network_depth(config) * sum_atol(conv_terms(config), 1.0)


def l2_loss_atol(n_terms: int, loss_sum: float, output_atol: float) -> float:
    """Bound on the difference of ½Σd² (the sum, before any averaging) when each d moves by at most
    `output_atol`: |Δ½Σd²| <= Σ|d|·δ + ½nδ² <= sqrt(2·n·½Σd²)·δ + ½nδ² (Cauchy–Schwarz), plus the sum's own
    rounding."""
    return (np.sqrt(2.0 * n_terms * loss_sum) * output_atol + 0.5 * n_terms * output_atol**2
            + sum_atol(n_terms, loss_sum))


def adam_first_step_atol(grad: np.ndarray, grad_atol: float, lr: float, epsilon: float, beta_2: float,
                         weight: np.ndarray) -> np.ndarray:
    """Per-element bound on the difference of two first Adam steps whose gradients differ by <= grad_atol.

    Keras' Adam (bias-corrected, step 1) moves a weight by u(g) = -lr·g / (|g| + ε') with ε' = ε/√(1-β2):
    never more than lr, so two steps differ by at most 2·lr. Where |g| > grad_atol both gradients have the
    same sign and |u(g) - u(g')| <= lr·ε'·δ / (|g| - δ + ε')² (the largest slope on the interval). Plus the
    float32 rounding of the update itself on each side (about eight operations: the moments, √v, + ε, the
    division, the bias-corrected rate; u each, on |u| <= lr) and of w - u (2 ulp of |w|)."""
    eps_ = epsilon / np.sqrt(1.0 - beta_2)
    g = np.abs(grad).astype(np.float64)
    near = np.maximum(g - grad_atol, 0.0) + eps_
    bound = np.where(g > grad_atol, lr * eps_ * grad_atol / near**2, 2.0 * lr)
    return np.minimum(bound, 2.0 * lr) + 2 * 8 * F32_U * lr + 2.0 * F32_EPS * np.abs(weight)
