"""axe's FP8 E4M3 math (support/Fp8.cpp, through libaxe_fp8.so) is bit-exact against torch's float8_e4m3fn.

torch's cast is the reference because compressed-tensors and llm-compressor quantize with it: round to nearest even.
Where the cast overflows the two differ on purpose (see `expected_codes`); quantization clamps first, so that never
reaches a checkpoint.
"""
import numpy as np
import pytest
import torch

FP8_MAX = 448.0
NAN_CODE = 0x7F
SUBNORMAL = 2.0 ** -9  # smallest subnormal step of e4m3


def torch_e4m3(x: np.ndarray) -> np.ndarray:
    return torch.from_numpy(np.asarray(x, np.float32)).to(torch.float8_e4m3fn).view(torch.uint8).numpy()


def torch_quantize_rows(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The compressed-tensors channel formula (spec §5.2). An all-zero row gets scale 1, as axe documents: the
    formula's 0/0 would be NaN, and any positive scale stores the same zero values."""
    w = torch.from_numpy(w)
    amax = w.abs().amax(dim=1, keepdim=True)
    scale = torch.where(amax > 0, amax / FP8_MAX, torch.ones_like(amax))
    q = (w / scale).clamp(-FP8_MAX, FP8_MAX).to(torch.float8_e4m3fn)
    return q.view(torch.uint8).numpy(), scale.reshape(-1).numpy()


def expected_codes(x: np.ndarray) -> np.ndarray:
    """torch's codes, except past 464 (the tie between 448 and the 480 that 0x7F would be) and for ±inf: there
    axe's raw cast gives NaN, 0x7F with the input's sign, as spec §5.1 and Fp8.h document (OCP's non-saturating
    mode), while torch 2.15's CPU cast saturates to ±448 (torch/headeronly/util/Float8_e4m3fn.h)."""
    overflow = ~(np.abs(x) <= 464)  # NaN inputs too: torch gives them 0x7F|sign as well
    sign = np.signbit(x).astype(np.uint8) << 7
    return np.where(overflow, NAN_CODE | sign, torch_e4m3(x)).astype(np.uint8)


def assert_same_codes(fp8lib, x) -> np.ndarray:
    x = np.asarray(x, np.float32)
    ours, ref = fp8lib.f32_to_e4m3(x), expected_codes(x)
    bad = np.flatnonzero(ours != ref)
    assert bad.size == 0, [(float(x.flat[i]), hex(ours.flat[i]), hex(ref.flat[i])) for i in bad[:10]]
    return ours


def e4m3_table() -> np.ndarray:
    """Value of every code, 0..255 (0x7F and 0xFF are NaN)."""
    return torch.arange(256, dtype=torch.uint8).view(torch.float8_e4m3fn).float().numpy()


def random_values(kind: str, seed: int, n: int = 1 << 16) -> np.ndarray:
    rng = np.random.default_rng(seed)
    sign = rng.choice([-1.0, 1.0], n)
    if kind == "normal":  # each value at its own magnitude, 1e-5 .. 1e3: subnormals up to past 448
        x = rng.standard_normal(n) * 10.0 ** rng.uniform(-5, 3, n)
    elif kind == "lognormal":
        x = sign * rng.lognormal(0.0, 4.0, n)
    else:  # Cauchy: most values moderate, a few enormous
        x = rng.standard_cauchy(n) * 30.0
    return x.astype(np.float32)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize("kind", ["normal", "lognormal", "heavy"])
def test_cast_random(fp8lib, kind, seed):
    x = random_values(kind, seed)
    assert (np.abs(x) > 480).any() and (np.abs(x) < 2 ** -6).any()  # both ends are really exercised
    assert_same_codes(fp8lib, x)


def test_cast_specials(fp8lib):
    f32 = np.finfo(np.float32)
    t = np.float32(464.0)  # the tie between 448 and 480
    x = np.array([0.0, 448.0, t, np.nextafter(t, 0), np.nextafter(t, 1e9), 479.99997, 480.0, 1e6, f32.max,
                  np.inf, np.nan, -np.nan, f32.tiny, f32.smallest_subnormal], np.float32)
    assert_same_codes(fp8lib, np.concatenate([x, -x]))


def test_every_code_round_trips(fp8lib):
    table = e4m3_table()
    codes = np.array([c for c in range(256) if c & 0x7F != NAN_CODE], np.uint8)
    np.testing.assert_array_equal(assert_same_codes(fp8lib, table[codes]), codes)


def test_ties_between_adjacent_values(fp8lib):
    # The 127 finite magnitudes 0 .. 448 plus 480, the value the next code would have (its midpoint 464 decides
    # between 448 and NaN): 127 midpoints per sign, 254 in all. The sum of two e4m3 values needs 5 significant
    # bits, so every midpoint is exact in float32.
    values = np.append(e4m3_table()[:NAN_CODE], 480.0).astype(np.float64)
    mids = (values[:-1] + values[1:]) / 2
    assert np.array_equal(mids.astype(np.float32).astype(np.float64), mids)
    lower = np.arange(NAN_CODE, dtype=np.uint8)  # code of the value below each midpoint
    even = np.where(lower % 2 == 0, lower, lower + 1).astype(np.uint8)  # ties go to the even code
    for sign in (0, 0x80):
        m = (mids if sign == 0 else -mids).astype(np.float32)
        np.testing.assert_array_equal(assert_same_codes(fp8lib, m), even | sign)
        # One float32 ulp either side is no longer a tie.
        np.testing.assert_array_equal(assert_same_codes(fp8lib, np.nextafter(m, np.float32(0))), lower | sign)
        np.testing.assert_array_equal(assert_same_codes(fp8lib, np.nextafter(m, 2 * m)), (lower + 1) | sign)


def test_tiny_values(fp8lib):
    k = np.arange(8)
    half = np.float32(SUBNORMAL / 2)
    below_half = [np.nextafter(half, np.float32(0)), SUBNORMAL / 4, 1e-10, 1e-30,
                  np.finfo(np.float32).smallest_subnormal]
    x = np.concatenate([k * SUBNORMAL,            # the subnormals themselves, codes 0..7
                        (k + 0.5) * SUBNORMAL,    # halfway between two subnormals (or 2^-6): even code
                        [half],                   # halfway between 0 and 2^-9: to 0
                        below_half]).astype(np.float32)
    codes = assert_same_codes(fp8lib, np.concatenate([x, -x]))[: x.size]
    np.testing.assert_array_equal(codes[:8], k)
    np.testing.assert_array_equal(codes[8:16], [0, 2, 2, 4, 4, 6, 6, 8])
    np.testing.assert_array_equal(codes[16:], 0)  # everything at or below half the smallest subnormal flushes to 0
    assert_same_codes(fp8lib, np.random.default_rng(7).uniform(-2 ** -5, 2 ** -5, 1 << 14))


def test_quantize_rows(fp8lib):
    rng = np.random.default_rng(11)
    rows = [random_values(kind, seed, 256) for kind in ("normal", "lognormal", "heavy") for seed in range(3)]
    rows += [np.zeros(256),                            # all-zero row: scale 1, values 0
             rng.standard_normal(256) * 1e-2,          # a typical weight row
             np.where(np.arange(256) == 5, 300.0, rng.standard_normal(256)),  # one outlier
             rng.standard_normal(256) * 1e30,          # huge: amax/448 stays normal
             np.append(1e-40, rng.standard_normal(255) * 1e-41)]  # amax/448 is a float32 subnormal (below)
    w = np.stack(rows).astype(np.float32)
    values, scales = fp8lib.quantize_rows(w)
    ref_values, ref_scales = torch_quantize_rows(w)
    np.testing.assert_array_equal(scales.view(np.uint32), ref_scales.view(np.uint32))
    np.testing.assert_array_equal(values, ref_values)
    assert scales[9] == 1.0 and not values[9].any()
    # The subnormal scale has lost bits, so w / scale passes 448 at the row's amax: the clamp is exercised.
    assert np.abs(w[-1] / scales[-1]).max() > FP8_MAX and (values[-1] & 0x7F).max() == 0x7E


def test_dequantize_rows(fp8lib):
    rng = np.random.default_rng(5)
    values = rng.integers(0, 256, (64, 96), dtype=np.uint8)
    scales = (10.0 ** rng.uniform(-6, 2, 64)).astype(np.float32)
    ours = fp8lib.dequantize_rows(values, scales)
    ref = (torch.from_numpy(values).view(torch.float8_e4m3fn).float() * torch.from_numpy(scales)[:, None]).numpy()
    # NaN codes give NaN (their payload is not specified); everything else bit for bit.
    nan = (values & 0x7F) == NAN_CODE
    assert np.isnan(ours[nan]).all() and np.isnan(ref[nan]).all()
    np.testing.assert_array_equal(ours[~nan].view(np.uint32), ref[~nan].view(np.uint32))
