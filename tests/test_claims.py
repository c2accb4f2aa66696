"""The shared claims module (`alpapers.claims`, nbs/07c_claims.ipynb) on constructed records with known answers:
the three outcomes, orderings, curve summaries, lower-is-better metrics, and paired versus unpaired intervals."""
from __future__ import annotations
import math
import matplotlib
matplotlib.use('Agg')
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from alpapers.claims import (Claim, OUTCOMES, CLAIMS_COLUMNS, PER_SEED_COLUMNS, aubc, claims_frame, claims_markdown, curve_table,
                             evaluate_claim, evaluate_claims, final, fmt_interval, labels_to_reach, paired_curve_figure,
                             paired_curve_table, per_seed_frame, save_claims, t_interval, value_at, welch_interval)
from alpapers.core import ConfigError

XS = (10, 20, 30)


def records(curves, xs=XS, metric='accuracy', hib=True):
    "Cycle records, as ActiveLoop.run writes them, from {strategy: {seed: [value per cycle]}}."
    return [dict(loop=s, strategy=s, seed=seed, cycle=c, n_labeled=x, metric=metric, value=float(v), higher_is_better=hib,
                 metrics={metric: float(v)})
            for s, per in curves.items() for seed, ys in per.items() for c, (x, v) in enumerate(zip(xs, ys))]


def shifted(curves, by):
    "The same curves, each seed shifted by `by` (a number, or one number per seed)."
    by = by if isinstance(by, (list, tuple)) else [by] * len(curves)
    return {s: [y + d for y in ys] for (s, ys), d in zip(curves.items(), by)}


BASE = {0: [50., 60., 70.], 1: [60., 70., 80.], 2: [70., 80., 90.]}     # seed s: +10s for every strategy


@pytest.fixture
def frame():
    return per_seed_frame(records({'random': BASE, 'good': shifted(BASE, 1.), 'meh': shifted(BASE, [2., 1., -2.]),
                                   'worse': shifted(BASE, -3.)}))


def test_per_seed_frame(frame):
    assert list(frame.columns) == PER_SEED_COLUMNS and len(frame) == 4 * 3 * 3
    assert frame.loc[(frame.strategy == 'good') & (frame.seed == 2), 'value'].tolist() == [71., 81., 91.]
    pd.testing.assert_frame_equal(per_seed_frame(frame), frame)
    recs = records({'random': BASE})
    with pytest.raises(ConfigError, match='share a'): per_seed_frame(recs + recs[:1])
    with pytest.raises(ConfigError, match='say higher_is_better'): per_seed_frame(recs, value='metrics.accuracy')
    f = per_seed_frame(recs, value='metrics.accuracy', higher_is_better=True, scale=100)
    assert f['metric'].iloc[0] == 'accuracy' and f['value'].iloc[0] == 5000.


def test_t_interval_known_values():
    iv = t_interval([1., 2., 3.])
    assert iv.mean == 2. and iv.n == 3
    assert iv.half == pytest.approx(stats.t.ppf(0.975, 2) / math.sqrt(3)) == pytest.approx(2.48414, abs=1e-5)
    one = t_interval([4.])
    assert one.mean == 4. and math.isnan(one.lo) and math.isnan(one.hi)
    w = welch_interval([1., 2., 3.], [1., 2., 3.])
    assert w.mean == 0. and w.half == pytest.approx(stats.t.ppf(0.975, 4) * math.sqrt(2 / 3))


def test_curve_table_and_format(frame):
    ct = curve_table(frame)
    row = ct[(ct.strategy == 'random') & (ct.n_labeled == 30)].iloc[0]
    assert row['mean'] == 80. and row['n'] == 3 and row['sd'] == 10.
    assert row['half'] == pytest.approx(stats.t.ppf(0.975, 2) * 10 / math.sqrt(3))
    assert fmt_interval(67.4, 65.1, 69.7) == '67.4 [65.1, 69.7]'
    assert fmt_interval(-1.234, -1.9, -0.5, signed=True) == '-1.23 [-1.90, -0.50]'


def test_aubc_known_answer():
    assert aubc(([0, 10, 30], [1., 3., 3.])) == pytest.approx(80 / 30)     # (10·2 + 20·3) / 30
    assert aubc(pd.Series([70., 70., 70.], index=XS)) == pytest.approx(70.)
    assert math.isnan(aubc(([10], [1.])))
    assert final(([30, 10, 20], [3., 1., 2.])) == 3.


def test_labels_to_reach_interpolation():
    c = (XS, [0.5, 0.6, 0.8])
    assert labels_to_reach(c, 0.7) == pytest.approx(25.)
    assert labels_to_reach(c, 0.65) == pytest.approx(22.5)
    assert labels_to_reach(c, 0.5) == 10. and labels_to_reach(c, 0.1) == 10.
    assert math.isnan(labels_to_reach(c, 0.81))
    assert labels_to_reach((XS, [5., 4., 2.]), 3., higher_is_better=False) == pytest.approx(25.)
    assert value_at(20)(c) == 0.6


def test_outcome_holds(frame):
    r = evaluate_claim(frame, Claim('good ends above random', '+1', a='good', b='random'))
    assert r['outcome'] == 'holds' and r['n'] == 3 and r['seeds'] == [0, 1, 2]
    assert (r['diff'], r['lo'], r['hi'], r['mean_a'], r['mean_b']) == (1., 1., 1., 81., 80.)


def test_outcome_contradicted(frame):
    assert evaluate_claim(frame, Claim('random ends above good', a='random', b='good'))['outcome'] == 'contradicted'
    assert evaluate_claim(frame, Claim('good is worse', a='good', b='random', better=False))['outcome'] == 'contradicted'
    assert evaluate_claim(frame, Claim('good by 2', a='good', b='random', threshold=2.))['outcome'] == 'contradicted'


def test_outcome_inconclusive_interval_covers_zero(frame):
    r = evaluate_claim(frame, Claim('meh ends above random', a='meh', b='random'))
    assert r['outcome'] == 'inconclusive' and r['reason'] == 'interval covers 0'
    assert r['diff'] == pytest.approx(1 / 3) and r['lo'] < 0 < r['hi']
    assert r['half'] == pytest.approx(stats.t.ppf(0.975, 2) * np.std([2., 1., -2.], ddof=1) / math.sqrt(3))


def test_outcome_inconclusive_too_few_seeds(frame):
    r = evaluate_claim(frame[frame.seed < 2], Claim('good ends above random', a='good', b='random'))
    assert r['outcome'] == 'inconclusive' and r['n'] == 2 and '< 3' in r['reason']
    assert r['diff'] == 1. and r['half'] == 0.                              # measured, just not enough seeds
    assert evaluate_claim(frame[frame.seed < 2], Claim('x', a='good', b='random', min_seeds=2))['outcome'] == 'holds'


def test_outcome_inconclusive_one_cycle_or_missing(frame):
    r = evaluate_claim(frame[frame.n_labeled == 10], Claim('x', a='good', b='random'))
    assert (r['outcome'], r['reason']) == ('inconclusive', 'fewer than 2 cycles')
    r = evaluate_claim(frame, Claim('x', a='vaal', b='random'))
    assert (r['outcome'], r['reason']) == ('inconclusive', 'no runs of vaal')


def test_ordering_is_a_conjunction(frame):
    pairs = lambda r: [p['outcome'] for p in r['pairs']]
    r = evaluate_claim(frame, Claim('good > random > worse', order=['good', 'random', 'worse']))
    assert r['outcome'] == 'holds' and pairs(r) == ['holds', 'holds'] and [p['diff'] for p in r['pairs']] == [1., 3.]
    r = evaluate_claim(frame, Claim('good > random > meh', order=['good', 'random', 'meh']))
    assert r['outcome'] == 'inconclusive' and pairs(r) == ['holds', 'inconclusive']
    r = evaluate_claim(frame, Claim('random > good > worse', order=['random', 'good', 'worse']))
    assert r['outcome'] == 'contradicted' and pairs(r) == ['contradicted', 'holds']


def test_lower_is_better_metric():
    mae = per_seed_frame(records({'random': {s: [9., 7., 6.] for s in range(4)},
                                  'smart': {s: [9., 6., 5. - 0.1 * s] for s in range(4)}}, metric='mae', hib=False))
    r = evaluate_claim(mae, Claim('smart has the lower final MAE', a='smart', b='random'))
    assert r['outcome'] == 'holds' and r['diff'] == pytest.approx(-1.15) and r['hi'] < 0
    assert evaluate_claim(mae, Claim('x', a='random', b='smart'))['outcome'] == 'contradicted'
    assert evaluate_claim(mae, Claim('x', summary='aubc', a='smart', b='random'))['outcome'] == 'holds'
    # labels to reach random's final MAE (6): smart falls to 6 at 20 labels in every seed, random needs 30
    r = evaluate_claim(mae, Claim('x', summary='labels_to_reach', a='smart', b='random'))
    assert r['outcome'] == 'holds' and r['diff'] == pytest.approx(-10.) and (r['mean_a'], r['mean_b']) == (20., 30.)


def test_labels_to_reach_claim_and_censoring():
    rnd = {**BASE, 3: [80., 90., 100.]}
    fast = {0: [50., 70., 75.], 1: [60., 80., 85.], 2: [70., 85., 95.], 3: [80., 100., 105.]}
    f = per_seed_frame(records({'random': rnd, 'fast': fast, 'slow': shifted(rnd, -5.)}))
    r = evaluate_claim(f, Claim('fast needs fewer labels', '≈40% fewer', summary='labels_to_reach', a='fast', b='random'))
    assert (r['outcome'], r['mean_a'], r['mean_b'], r['diff']) == ('holds', 21.25, 30., -8.75)   # 20, 20, 25, 20 vs 30
    s = evaluate_claim(f, Claim('slow needs fewer labels', summary='labels_to_reach', a='slow', b='random'))
    assert (s['outcome'], s['censored_a'], s['diff']) == ('inconclusive', 4, 0.)   # never reached: counted at 30, never "holds"
    assert 'never reached: slow in 4 seed(s)' in claims_frame([s])['measured'].iloc[0]


def test_paired_holds_where_unpaired_does_not():
    offsets, gain = [0., 10., 20., 30., 40.], [0.9, 1.1, 1.0, 0.95, 1.05]
    f = per_seed_frame(records({'random': {s: [40 + o, 50 + o] for s, o in enumerate(offsets)},
                                'plus1': {s: [40 + o + g, 50 + o + g] for s, (o, g) in enumerate(zip(offsets, gain))}}, xs=(10, 20)))
    claim = Claim('plus1 ends above random', a='plus1', b='random')
    paired, welch = evaluate_claim(f, claim), evaluate_claim(f, claim, unpaired=True)
    assert paired['diff'] == pytest.approx(1.) and welch['diff'] == pytest.approx(1.)
    assert paired['outcome'] == 'holds' and welch['outcome'] == 'inconclusive'
    assert paired['half'] == pytest.approx(stats.t.ppf(0.975, 4) * np.std(gain, ddof=1) / math.sqrt(5))
    assert welch['lo'] < 0 < welch['hi'] and welch['half'] > 15


def test_claims_table_and_markdown(frame, tmp_path):
    res = evaluate_claims(frame, [Claim('good ends above random', '+1', a='good', b='random'),
                                  Claim('meh ends above random', '+2', a='meh', b='random'),
                                  Claim('good > random > worse', 'ranked', order=['good', 'random', 'worse'])])
    cf = claims_frame(res)
    assert list(cf.columns) == CLAIMS_COLUMNS
    assert cf['outcome'].tolist() == ['holds', 'inconclusive', 'holds', 'holds', 'holds'] and set(cf['outcome']) <= set(OUTCOMES)
    assert cf['measured'].iloc[0] == 'good − random = +1.00 [1.00, 1.00] (final); good 81.00, random 80.00'
    assert cf['paper'].tolist()[:3] == ['+1', '+2', 'ranked'] and cf['n seeds'].tolist() == [3] * 5
    md = claims_markdown(res, title='T', note='data: stand-in').splitlines()
    assert md[0] == '**T**' and 'paired Student-t 95% interval over seeds' in md[2] and md[4] == '*data: stand-in*'
    md_file, csv_file = save_claims(res, 'toy_claims', tmp_path, note='data: stand-in')
    back = pd.read_csv(csv_file)
    assert back['outcome'].tolist() == cf['outcome'].tolist() and back['diff'].iloc[1] == pytest.approx(1 / 3)
    assert (back['note'] == 'data: stand-in').all() and 'paired Student-t' in md_file.read_text()


def test_paired_curve_figure(frame):
    pt = paired_curve_table(frame)
    assert pt[pt.strategy == 'worse']['diff'].tolist() == [-3.] * 3 and 'random' not in set(pt['strategy'])
    fig = paired_curve_figure(frame, title='toy')
    ax0, ax1 = fig.axes
    assert [l.get_label() for l in ax0.get_lines()] == ['random', 'good', 'meh', 'worse']
    right = {l.get_label(): l for l in ax1.get_lines()}
    assert set(right) == {'good', 'meh', 'worse', 'random (zero)'}
    np.testing.assert_allclose(right['good'].get_ydata(), [1., 1., 1.])
    np.testing.assert_allclose(right['random (zero)'].get_ydata(), [0., 0.])
    with pytest.raises(ConfigError, match='baseline'): paired_curve_figure(frame, baseline='nope')
    matplotlib.pyplot.close(fig)
