"""Mistakes learners make in the GPU-timing chapter. Each must make the named hidden test fail."""

_TIME_IT = '''
def time_it(fn, clock, synchronize, repeats=10, warmup=2):
{warm}
    runs = []
    for _ in range(repeats):
{run}
    q25, q75 = np.percentile(runs, [25, 75])
    return {{"times": runs, "median": {center}, "iqr": {spread}}}
'''
_WARM = "    for _ in range(warmup):\n        fn()"
_RIGHT = ("        synchronize()\n        began = clock()\n        fn()\n        synchronize()\n"
          "        runs.append(clock() - began)")


def _time_it(warm=_WARM, run=_RIGHT, center="float(np.median(runs))", spread="float(q75 - q25)"):
    return {"time_it": _TIME_IT.format(warm=warm, run=run, center=center, spread=spread)}


_LSTM = '''
def lstm_cost(T, B, d_in, h, bytes_per_value=4):
    loop_flops = {loop_flops}
    loop_bytes = {loop_bytes}
    return {{"matmul_flops": {matmul}, "loop_flops": loop_flops, "loop_bytes": loop_bytes,
            "loop_intensity": loop_flops / loop_bytes}}
'''
_LSTM_OK = dict(matmul="T * (2 * B * d_in * 4 * h + 2 * B * h * 4 * h)", loop_flops="T * (8 * B * h * h + 17 * B * h)",
                loop_bytes="T * bytes_per_value * (4 * h * h + 8 * B * h)")


def _lstm(**change):
    return {"lstm_cost": _LSTM.format(**{**_LSTM_OK, **change})}


_SRU = '''
def sru_cost(T, B, d_in, h, bytes_per_value=4):
    loop_flops = {loop_flops}
    loop_bytes = {loop_bytes}
    return {{"matmul_flops": {matmul}, "loop_flops": loop_flops, "loop_bytes": loop_bytes,
            "loop_intensity": loop_flops / loop_bytes}}
'''
_SRU_OK = dict(matmul="2 * T * B * d_in * 3 * h + (2 * T * B * d_in * h if d_in != h else 0)",
               loop_flops="17 * T * B * h", loop_bytes="6 * T * B * h * bytes_per_value")


def _sru(**change):
    return {"sru_cost": _SRU.format(**{**_SRU_OK, **change})}


_ROOF = '''
def roofline_bound(flops, bytes_moved, peak_flops, bandwidth):
    a, m = flops / peak_flops, bytes_moved / bandwidth
    return {{"time": {time}, "bound": {bound}, "intensity": {intensity}, "ridge": {ridge}}}
'''
_ROOF_OK = dict(time="max(a, m)", bound='"compute" if a >= m else "memory"', intensity="flops / bytes_moved",
                ridge="peak_flops / bandwidth")


def _roof(**change):
    return {"roofline_bound": _ROOF.format(**{**_ROOF_OK, **change})}


_SPEED = '''
def sru_speedups(rows):
    ratio = {{(r["T"], r["B"], r["h"]): {ratio} for r in rows}}
    winners = {wins}
    top = {pick}(ratio, key=ratio.get)
    return {{"speedup": ratio, "wins": winners, "best": (top, ratio[top])}}
'''
_SPEED_OK = dict(ratio='r["lstm_cudnn_ms"] / r["sru_fused_ms"]',
                 wins="sorted(s for s, v in ratio.items() if v > 1)", pick="max")


def _speed(**change):
    return {"sru_speedups": _SPEED.format(**{**_SPEED_OK, **change})}


MUTANTS = {
    # time_it: the classic timing mistakes
    "no synchronisation (times the launch)": ("test_time_it_hidden", _time_it(
        run="        began = clock()\n        fn()\n        runs.append(clock() - began)")),
    "synchronise before the call only": ("test_time_it_hidden", _time_it(
        run="        synchronize()\n        began = clock()\n        fn()\n        runs.append(clock() - began)")),
    "synchronise after the clock is read": ("test_time_it_hidden", _time_it(
        run="        synchronize()\n        began = clock()\n        fn()\n        end = clock()\n"
            "        synchronize()\n        runs.append(end - began)")),
    "no warm-up": ("test_time_it_hidden", _time_it(warm="    pass")),
    "warm-up runs counted in the times": ("test_time_it_hidden", _time_it(
        warm="    runs0 = []\n    for _ in range(warmup):\n        synchronize(); s = clock(); fn(); synchronize()\n"
             "        runs0.append(clock() - s)",
        run=_RIGHT + "\n    runs = runs0 + runs")),
    "mean instead of median": ("test_time_it_hidden", _time_it(center="float(np.mean(runs))")),
    "standard deviation instead of IQR": ("test_time_it_hidden", _time_it(spread="float(np.std(runs))")),
    "min instead of median": ("test_time_it_hidden", _time_it(center="float(min(runs))")),
    "one clock pair around all runs": ("test_time_it_hidden", _time_it(
        run="        pass\n    synchronize(); s = clock()\n    for _ in range(repeats):\n        fn()\n"
            "    synchronize()\n    runs = [(clock() - s) / repeats] * repeats")),
    # lstm_cost
    "LSTM: recurrent product counted as h x h (one gate)": ("test_lstm_cost_hidden", _lstm(
        loop_flops="T * (2 * B * h * h + 17 * B * h)")),
    "LSTM: input product left out of matmul_flops": ("test_lstm_cost_hidden", _lstm(
        matmul="T * 2 * B * h * 4 * h")),
    "LSTM: multiply-add counted as one FLOP": ("test_lstm_cost_hidden", _lstm(
        matmul="T * (B * d_in * 4 * h + B * h * 4 * h)", loop_flops="T * (4 * B * h * h + 17 * B * h)")),
    "LSTM: W_hh read once, not at every step": ("test_lstm_cost_hidden", _lstm(
        loop_bytes="bytes_per_value * (4 * h * h + T * 8 * B * h)")),
    "LSTM: bytes_per_value ignored": ("test_lstm_cost_hidden", _lstm(loop_bytes="T * 4 * (4 * h * h + 8 * B * h)")),
    # sru_cost
    "SRU: W_s product counted even when d_in == h": ("test_sru_cost_hidden", _sru(
        matmul="2 * T * B * d_in * 3 * h + 2 * T * B * d_in * h")),
    "SRU: W_s product never counted": ("test_sru_cost_hidden", _sru(matmul="2 * T * B * d_in * 3 * h")),
    "SRU: c_{t-1} read from memory too (7 values)": ("test_sru_cost_hidden", _sru(
        loop_bytes="7 * T * B * h * bytes_per_value")),
    "SRU: loop bytes in values, not bytes": ("test_sru_cost_hidden", _sru(loop_bytes="6 * T * B * h")),
    # roofline_bound
    "roofline: min instead of max": ("test_roofline_bound_hidden", _roof(time="min(a, m)")),
    "roofline: bound labels swapped": ("test_roofline_bound_hidden", _roof(bound='"memory" if a >= m else "compute"')),
    "roofline: ridge inverted": ("test_roofline_bound_hidden", _roof(ridge="bandwidth / peak_flops")),
    "roofline: times added": ("test_roofline_bound_hidden", _roof(time="a + m")),
    # sru_speedups
    "speed-up inverted (SRU / LSTM)": (
        "test_sru_speedups_hidden", _speed(ratio='r["sru_fused_ms"] / r["lstm_cudnn_ms"]')),
    "a tie counted as a win": (
        "test_sru_speedups_hidden", _speed(wins="sorted(s for s, v in ratio.items() if v >= 1)")),
    "wins not sorted": ("test_sru_speedups_hidden", _speed(wins="[s for s, v in ratio.items() if v > 1]")),
    "best is the smallest speed-up": ("test_sru_speedups_hidden", _speed(pick="min")),
    "speed-up as a difference": ("test_sru_speedups_hidden", _speed(ratio='r["lstm_cudnn_ms"] - r["sru_fused_ms"]')),
}
