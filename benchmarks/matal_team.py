"""MATAL's agent team at the paper's size: selecting a batch of 40 from a 20,000-image pool, and one Eq. 4 update.

Prints wall times measured in this run (no thresholds: a benchmark, not a test). Run: `python benchmarks/matal_team.py`.
The action vector has the paper's size for the 21-joint hand: 7 novelty scores + 7 x 10 histogram bins + 128 appearance.
"""
import copy, time
import numpy as np
import torch
from alpapers.core import get_device
from alpapers.matal.team import AgentTeam, team_td_loss

def timed(f, repeat=3):
    best = float('inf')
    for _ in range(repeat):
        t0 = time.perf_counter(); out = f(); best = min(best, time.perf_counter() - t0)
    return best, out

def main(n_pool=20000, n_agents=40, action_dim=7 + 70 + 128, threads=None):
    dev = get_device()
    if threads: torch.set_num_threads(threads)
    g = torch.Generator().manual_seed(0)
    A, s = torch.randn(n_pool, action_dim, generator=g), torch.rand(9, generator=g)
    torch.manual_seed(0)
    team = AgentTeam(n_agents, action_dim).to(dev); team.fit_normalizer(A)
    print(f"device {dev}, torch threads {torch.get_num_threads()}, pool {n_pool}, team of {n_agents}, action {action_dim}-D")
    t, (picks, _) = timed(lambda: team.select(s, A, n_agents))
    print(f"team selection of {n_agents} from {n_pool}: {t:.3f} s ({1e3*t/n_agents:.1f} ms per agent), {len(set(picks))} distinct picks")
    single = AgentTeam(n_agents, action_dim, shared=True, teamwork=False).to(dev); single.fit_normalizer(A)
    t1, _ = timed(lambda: single.select(s, A, n_agents))
    print(f"one agent, top-{n_agents} (same turn loop): {t1:.3f} s; teamwork / top-N time ratio {t/t1:.2f}")
    tgt = copy.deepcopy(team).requires_grad_(False)
    batch = [dict(s=s, A=A[:2000], picks=torch.tensor(picks[:n_agents]) % 2000, r=0.1, done=False, s_next=s, A_next=A[2000:4000])
             for _ in range(16)]
    def update():
        loss = team_td_loss(team, tgt, batch); loss.backward(); return float(loss.detach())
    t2, _ = timed(update, repeat=2)
    print(f"one Eq. 4 minibatch (16 transitions, next batch chosen from 2,000 candidates): {t2:.3f} s")

if __name__ == '__main__': main()
