"""CLEAR-MOT per joint: motmetrics 1.4.0's per-frame matching as poseval feeds it (EVALUATION.md §2).

Kernel of `posekit.evaluation`. poseval keeps one `motmetrics.MOTAccumulator` per joint and sequence and
calls `update(gt_ids, pred_ids, D)` for every evaluated frame, with the GT and predicted persons that have
the joint and D = the normalised distance where it is <= 0.5, else NaN (do not pair). `JointAccumulator`
reproduces that accumulator's state machine and counts (motmetrics 1.4.0 `mot.py`, `MOTAccumulator.update`):

1. carry-over: every GT id that was ever matched is re-paired first with the hypothesis of its *latest*
   match if that hypothesis is present and the distance is finite. motmetrics keeps that pairing (`self.m`)
   for good: it is not cleared when the GT id is missed or absent, so a joint missed in frame t and seen
   again in t + 1 goes back to the hypothesis it had before t (`carry_over="latest_match"`, the default);
2. Hungarian (scipy's solver on motmetrics' expensive-edge costs) on what is left, minimising the summed
   distance; a pair whose GT id was last paired with another hypothesis is a SWITCH, else a MATCH;
3. / 4. the GT ids left over are MISSes, the hypotheses left over FPs.

`carry_over="previous_update"` is the other rule: only GT ids matched in the immediately preceding update
are carried over (the rest go to the Hungarian step). It is not what motmetrics 1.4.0 does; it was
posekit's default before issue 13 and stays selectable (`posekit evaluate --carry-over previous_update`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from posekit.evaluation.assignment import motmetrics_assignment
from posekit.evaluation.frames import DIST_THRESH, FrameMatches, GTFrames, PredictionFrames
from posekit.joints import NUM_JOINTS

CARRY_OVER_MODES: tuple[str, ...] = ("latest_match", "previous_update")
#: The motmetrics counts poseval reads (evaluateTracking.py L24), plus num_matches and the distance sum.
MOT_COUNTS: tuple[str, ...] = (
    "num_objects",
    "num_misses",
    "num_switches",
    "num_false_positives",
    "num_detections",
    "num_matches",
    "sumD",
)


class JointAccumulator:
    """The state and counts of one `motmetrics.MOTAccumulator` (one joint of one sequence).

    carry_over: "latest_match" (motmetrics 1.4.0) or "previous_update" (see the module docstring).
    record:     keep the MATCH / SWITCH / MISS / FP events as (frame, type, gt id, hyp id, D) tuples in
                `events` (frame = the number of the update, from 0), as motmetrics lists them.
    """

    def __init__(self, carry_over: str = "latest_match", record: bool = False):
        if carry_over not in CARRY_OVER_MODES:
            raise ValueError(f"carry_over must be one of {CARRY_OVER_MODES}, got {carry_over!r}")
        self.latest = carry_over == "latest_match"
        self.pairing: dict[int, int] = {}  # motmetrics `m`: GT id -> hypothesis of its latest match
        self.matched_last: set[int] = set()  # GT ids matched in the previous update
        self.hyp_seen: set[int] = set()  # `hypHistory`
        self.hyp_owner: dict[int, int] = {}  # `res_m`
        self.obj_matched: set[int] = set()  # `last_match`
        self.counts = dict.fromkeys(MOT_COUNTS, 0)
        self.counts["sumD"] = 0.0
        self.sum_d_events = 0.0  # distances of RAW/ASCEND/TRANSFER/MIGRATE rows (motp="all_events")
        self.events: list[tuple] | None = [] if record else None
        self.frame = 0

    def dummy(self) -> None:
        """poseval's `update([0], [0], [[nan]])` for an empty frame: one object, one miss, one FP."""
        c = self.counts
        c["num_objects"] += 1
        c["num_misses"] += 1
        c["num_false_positives"] += 1
        self.matched_last = set()
        if self.events is not None:
            self.events += [(self.frame, "MISS", 0, None, np.nan), (self.frame, "FP", None, 0, np.nan)]
        self.frame += 1

    def update(self, oids: list[int], hids: list[int], pairs: list[tuple[int, int, float]],
               finite_sum: float | None = None) -> None:
        """One frame: oids (N,), hids (M,) unique ids; pairs: the (GT id, hyp id, distance) that may pair
        (finite distance), any order. finite_sum: the sum of their distances, when known."""
        n, m = len(oids), len(hids)
        c = self.counts
        c["num_objects"] += n
        events = self.events
        if n == 0 or m == 0 or not pairs:
            c["num_misses"] += n
            c["num_false_positives"] += m
            self.matched_last = set()
            if events is not None:
                events += [(self.frame, "MISS", o, None, np.nan) for o in oids]
                events += [(self.frame, "FP", None, h, np.nan) for h in hids]
            self.frame += 1
            return
        self.sum_d_events += finite_sum if finite_sum is not None else sum(d for _, _, d in pairs)  # RAW
        if self.latest and events is None and self._all_carried(pairs, n, m):
            return
        used_o: set[int] = set()
        used_h: set[int] = set()
        # 1. Carry earlier pairings forward: GT ids (in `oids` order) whose hypothesis of the latest match
        # is present at a finite distance.
        pairing = self.pairing
        carried = [t for t in pairs if pairing.get(t[0]) == t[1]] if pairing else []
        if carried and not self.latest:
            carried = [t for t in carried if t[0] in self.matched_last]
        if carried:
            if len(carried) > 1:
                row = {o: i for i, o in enumerate(oids)}
                carried.sort(key=lambda t: row[t[0]])
            for o, h, d in carried:
                if h in used_h:
                    continue  # another GT id, earlier in `oids`, took this hypothesis first
                used_o.add(o)
                used_h.add(h)
                c["num_matches"] += 1
                c["sumD"] += d
                self.hyp_seen.add(h)
                self.obj_matched.add(o)
                if events is not None:
                    events.append((self.frame, "MATCH", o, h, d))
        # 2. Hungarian on the remaining pairs.
        rest = [t for t in pairs if t[0] not in used_o and t[1] not in used_h] if used_o else pairs
        if rest:
            if len(rest) == 1:
                chosen = rest
            else:
                r_o = [o for o, _, _ in rest]
                r_h = [h for _, h, _ in rest]
                row = {o: i for i, o in enumerate(oids)}
                if len(set(r_o)) == len(r_o) and len(set(r_h)) == len(r_h):
                    # At most one pair per row and column: the maximum matching is unique and the solver
                    # returns it with rows ascending.
                    chosen = sorted(rest, key=lambda t: row[t[0]])
                else:
                    col = {h: j for j, h in enumerate(hids)}
                    costs = np.full((n, m), np.nan)
                    for o, h, d in rest:
                        costs[row[o], col[h]] = d
                    chosen = [(oids[i], hids[j], float(costs[i, j])) for i, j in motmetrics_assignment(costs)]
            for o, h, d in chosen:
                self._pair(o, h, d)
                used_o.add(o)
                used_h.add(h)
        c["num_misses"] += n - len(used_o)
        c["num_false_positives"] += m - len(used_h)
        if events is not None:
            events += [(self.frame, "MISS", o, None, np.nan) for o in oids if o not in used_o]
            events += [(self.frame, "FP", None, h, np.nan) for h in hids if h not in used_h]
        self.matched_last = used_o
        self.frame += 1

    def _all_carried(self, pairs: list[tuple[int, int, float]], n: int, m: int) -> bool:
        """The common frame of a well-tracked sequence in one pass: when every pair is the latest match of
        its GT id and no two pairs share a hypothesis, step 1 takes them all (no conflict, so the order of
        `oids` does not matter) and steps 2-3 have nothing left to pair. Returns False, having changed
        nothing, otherwise (then `update`'s general path runs)."""
        pairing = self.pairing
        hyps = set()
        for o, h, _ in pairs:
            if pairing.get(o) != h or h in hyps:
                return False
            hyps.add(h)
        k = len(pairs)
        c = self.counts
        c["num_matches"] += k
        sum_d = c["sumD"]
        for _, _, d in pairs:
            sum_d += d  # one at a time, as the general path adds them (the same rounding)
        c["sumD"] = sum_d
        c["num_misses"] += n - k
        c["num_false_positives"] += m - k
        self.hyp_seen |= hyps
        carried = {o for o, _, _ in pairs}
        self.obj_matched |= carried
        self.matched_last = carried
        self.frame += 1
        return True

    def update_dense(self, oids: list[int], hids: list[int], dists: np.ndarray) -> None:
        """`update` with motmetrics' own input: an (N, M) distance matrix, NaN = may not pair."""
        dists = np.asarray(dists, dtype=np.float64).reshape(len(oids), len(hids))
        rows, cols = np.nonzero(np.isfinite(dists))
        self.update(list(oids), list(hids),
                    [(oids[i], hids[j], float(dists[i, j])) for i, j in zip(rows.tolist(), cols.tolist())])

    def _pair(self, o: int, h: int, d: float) -> None:
        c = self.counts
        switch = o in self.pairing and self.pairing[o] != h
        if switch:
            c["num_switches"] += 1
            if h not in self.hyp_seen:
                self.sum_d_events += d  # ASCEND
        else:
            c["num_matches"] += 1
        if h in self.hyp_owner and self.hyp_owner[h] != o:
            self.sum_d_events += d  # TRANSFER
            if o not in self.obj_matched:
                self.sum_d_events += d  # MIGRATE
        c["sumD"] += d
        self.hyp_seen.add(h)
        self.obj_matched.add(o)
        self.pairing[o] = h
        self.hyp_owner[h] = o
        if self.events is not None:
            self.events.append((self.frame, "SWITCH" if switch else "MATCH", o, h, d))

    def result(self, motp: str = "matched") -> dict[str, float]:
        """The counts; motp="all_events" adds the RAW/ASCEND/TRANSFER/MIGRATE distances to sumD."""
        out = dict(self.counts)
        out["num_detections"] = out["num_matches"] + out["num_switches"]
        if motp == "all_events":
            out["sumD"] += self.sum_d_events
        return out


# --------------------------------------------------------------------------------------------------
# One sequence: the id-independent preparation, then the accumulation for a set of track ids
# --------------------------------------------------------------------------------------------------

#: One joint of one MOT frame: GT rows and prediction rows that have the joint (in frame order), the
#: (GT row, prediction row, distance) pairs within the threshold, and the sum of their distances.
JointFrame = tuple[list[int], list[int], list[tuple[int, int, float]], float]


@dataclass
class MOTInputs:
    """The id-independent part of one sequence's MOT accumulation (§2.1-2.2), as arrays.

    n_frames:  the MOT frames (the first `n_frames` evaluated frames);
    dummy:     (n_frames,) bool, poseval's dummy update (an empty GT or prediction side, "poseval" rule);
    n_obj, n_hyp: (n_frames, 15) int, the GT / predicted persons that have each joint;
    pair_*:    the joint pairs within the threshold (distance <= 0.5) of the MOT frames, ordered by frame
               and joint, then as `FrameMatches` orders them (prediction row, GT row): pair_frame,
               pair_joint, pair_gt (GT row), pair_pr (prediction row), pair_dist;
    gt_start, pr_start, gt_has, pr_has: the rows of `GTFrames` / `PredictionFrames` (for `frames`).
    """

    n_frames: int
    dummy: np.ndarray
    n_obj: np.ndarray
    n_hyp: np.ndarray
    pair_frame: np.ndarray
    pair_joint: np.ndarray
    pair_gt: np.ndarray
    pair_pr: np.ndarray
    pair_dist: np.ndarray
    gt_start: np.ndarray
    pr_start: np.ndarray
    gt_has: np.ndarray
    pr_has: np.ndarray

    @property
    def frames(self) -> list[list[JointFrame] | None]:
        """Per MOT frame None (a dummy update) or its 15 `JointFrame`s (the input of `JointAccumulator`)."""
        by_key: dict[int, list[tuple[int, int, float]]] = {}
        keys = (self.pair_frame * NUM_JOINTS + self.pair_joint).tolist()
        for k, a, b, d in zip(keys, self.pair_gt.tolist(), self.pair_pr.tolist(), self.pair_dist.tolist()):
            by_key.setdefault(k, []).append((a, b, d))
        gs, ps = self.gt_start.tolist(), self.pr_start.tolist()
        dummy = self.dummy.tolist()
        frames: list[list[JointFrame] | None] = []
        for f in range(self.n_frames):
            if dummy[f]:
                frames.append(None)
                continue
            g0, g1, p0, p1 = gs[f], gs[f + 1], ps[f], ps[f + 1]
            g_cols = self.gt_has[g0:g1].T.tolist()
            p_cols = self.pr_has[p0:p1].T.tolist()
            g_all, p_all = list(range(g0, g1)), list(range(p0, p1))  # common: every person has joint j
            joints = []
            for j in range(NUM_JOINTS):
                g_col, p_col = g_cols[j], p_cols[j]
                o_rows = g_all if all(g_col) else [g0 + i for i, v in enumerate(g_col) if v]
                h_rows = p_all if all(p_col) else [p0 + i for i, v in enumerate(p_col) if v]
                pairs = by_key.get(f * NUM_JOINTS + j, [])
                joints.append((o_rows, h_rows, pairs, sum(d for _, _, d in pairs)))
            frames.append(joints)
        return frames


def _column_counts(has: np.ndarray, start: np.ndarray, n_frames: int) -> np.ndarray:
    """(n_frames, 15): per frame (rows start[f]:start[f + 1]) the rows that have each joint."""
    cum = np.zeros((len(has) + 1, NUM_JOINTS), dtype=np.int64)
    np.cumsum(has, axis=0, out=cum[1:])
    return cum[start[1:n_frames + 1]] - cum[start[:n_frames]]


def mot_inputs(gt: GTFrames, pr: PredictionFrames, matches: FrameMatches, n_frames: int, empty_frame_rule: str
               ) -> MOTInputs:
    """The first `n_frames` evaluated frames prepared for `mot_counts` (§2.1-2.2)."""
    n_g = np.diff(gt.start[:n_frames + 1])
    n_p = np.diff(pr.start[:n_frames + 1])
    dummy = ((n_g == 0) | (n_p == 0)) if empty_frame_rule == "poseval" else np.zeros(n_frames, dtype=bool)
    keep = (matches.pair_frame < n_frames) & (matches.pair_dist <= DIST_THRESH)
    key = matches.pair_frame[keep] * NUM_JOINTS + matches.pair_joint[keep]
    order = np.argsort(key, kind="stable")
    return MOTInputs(
        n_frames=n_frames,
        dummy=dummy,
        n_obj=_column_counts(gt.has, gt.start, n_frames),
        n_hyp=_column_counts(pr.has, pr.start, n_frames),
        pair_frame=matches.pair_frame[keep][order],
        pair_joint=matches.pair_joint[keep][order],
        pair_gt=matches.pair_gt[keep][order],
        pair_pr=matches.pair_pr[keep][order],
        pair_dist=matches.pair_dist[keep][order],
        gt_start=gt.start,
        pr_start=pr.start,
        gt_has=gt.has,
        pr_has=pr.has,
    )


def mot_accumulators(inputs: MOTInputs, gt_ids: np.ndarray, pr_ids: np.ndarray,
                     carry_over: str = "latest_match", record: bool = False) -> list[JointAccumulator]:
    """The 15 per-joint accumulators of one sequence after every MOT frame, for these track ids (gt_ids
    indexed by GT row, pr_ids by prediction row); `record` keeps their events."""
    accs = [JointAccumulator(carry_over, record) for _ in range(NUM_JOINTS)]
    gid, pid = gt_ids.tolist(), pr_ids.tolist()
    for frame in inputs.frames:
        if frame is None:
            for acc in accs:
                acc.dummy()
            continue
        ids_of: dict[int, list[int]] = {}  # joints of a frame share their row lists (`frames`)
        for acc, (o_rows, h_rows, pairs, finite_sum) in zip(accs, frame):
            oids = ids_of.get(id(o_rows))
            if oids is None:
                oids = ids_of[id(o_rows)] = [gid[r] for r in o_rows]
            hids = ids_of.get(id(h_rows))
            if hids is None:
                hids = ids_of[id(h_rows)] = [pid[r] for r in h_rows]
            acc.update(oids, hids, [(gid[a], pid[b], d) for a, b, d in pairs], finite_sum)
    return accs


#: `mot_counts` leaves the vectorised accumulation for `JointAccumulator` frame by frame when a joint has
#: more than this many contested frames in a sequence, or more than a quarter of its frames: each costs one
#: round of array operations, and with contests in most frames the frame-by-frame path is faster (measured
#: without this limit: on crowded random sequences contested in most frames the frame-by-frame path took half
#: the time of the vectorised one; on the split of `benchmarks.bench_evaluation`, which reports the ratio,
#: four times as long).
MAX_CONTESTED_ROUNDS: int = 8


def mot_counts(inputs: MOTInputs, gt_ids: np.ndarray, pr_ids: np.ndarray, carry_over: str = "latest_match",
               motp: str = "matched") -> list[dict[str, float]]:
    """Per-joint motmetrics counts (15 dicts, `MOT_COUNTS`) of one sequence for these track ids.

    With the defaults (carry_over="latest_match", motp="matched") the accumulation is vectorised
    (`_vectorised_counts`); it gives the counts of `mot_accumulators`, bit for bit (sumD included)."""
    if carry_over == "latest_match" and motp == "matched":
        counts = _vectorised_counts(inputs, gt_ids, pr_ids)
        if counts is not None:
            return counts
    return [acc.result(motp) for acc in mot_accumulators(inputs, gt_ids, pr_ids, carry_over)]


def _vectorised_counts(inputs: MOTInputs, gt_ids: np.ndarray, pr_ids: np.ndarray
                       ) -> list[dict[str, float]] | None:
    """`JointAccumulator`'s counts ("latest_match", matched-pair MOTP) for whole runs of frames at once.

    A joint's frame is *uncontested* when no GT id and no hypothesis has two pairs in it. There the
    accumulator pairs every pair: carried over if its GT id's latest match is that hypothesis, else through
    the Hungarian step, whose solution is then every pair (a SWITCH if the GT id's latest match was another
    hypothesis, else a MATCH). So in a run of uncontested frames a GT id's latest match before a frame is
    the hypothesis of its previous pair in the run, or the state before the run for its first pair: the
    runs of all joints are counted with array operations, and only the contested frames go through
    `JointAccumulator.update` one by one, between the runs (round k: every joint's run after its k-th
    contested frame). Misses and false positives follow from the pairs (each update misses the GT ids it
    did not pair, and counts the hypotheses it did not pair as false positives). sumD adds the distances
    one at a time in the order `JointAccumulator.update` adds them (the same rounding). None when a joint
    has more than max(`MAX_CONTESTED_ROUNDS`, a quarter of the frames) contested frames (the caller then
    runs the accumulators).
    """
    n_frames = inputs.n_frames
    live = ~inputs.dummy
    n_dummy = int(inputs.dummy.sum())
    objects = inputs.n_obj[live].sum(axis=0) + n_dummy
    hyps = inputs.n_hyp[live].sum(axis=0) + n_dummy
    matched = np.zeros(NUM_JOINTS, dtype=np.int64)
    switches = np.zeros(NUM_JOINTS, dtype=np.int64)
    sum_d = [0.0] * NUM_JOINTS
    if len(inputs.pair_dist):
        _, g_dense = np.unique(gt_ids, return_inverse=True)
        _, p_dense = np.unique(pr_ids, return_inverse=True)
        n_o, n_h = int(g_dense.max()) + 1, int(p_dense.max()) + 1
        f, j = inputs.pair_frame, inputs.pair_joint
        o, h, d, row = g_dense[inputs.pair_gt], p_dense[inputs.pair_pr], inputs.pair_dist, inputs.pair_gt
        fj = f * NUM_JOINTS + j  # ascending (the pairs' order)
        contested_keys = np.union1d(_repeated_keys(fj, o, n_o), _repeated_keys(fj, h, n_h))
        contested = np.isin(fj, contested_keys)
        # Contested frames in joint-major order; a pair's round: its joint's contested frames before it.
        jf = j * n_frames + f
        c_jf = np.unique(jf[contested])
        rounds = np.searchsorted(c_jf, jf) - np.searchsorted(c_jf, j * n_frames)
        per_joint = np.bincount(c_jf // n_frames, minlength=NUM_JOINTS)
        if per_joint.max(initial=0) > max(MAX_CONTESTED_ROUNDS, n_frames // 4):
            return None
        latest = np.full((NUM_JOINTS, n_o), -1, dtype=np.int64)  # hypothesis of each GT id's latest match
        c_frames = [c_jf[c_jf // n_frames == jj] % n_frames for jj in range(NUM_JOINTS)]
        for k in range(int(per_joint.max(initial=0)) + 1):
            run = np.flatnonzero(~contested & (rounds == k))
            if len(run):
                _count_run(run, f, j, o, h, d, row, latest, matched, switches, sum_d)
            for jj in range(NUM_JOINTS):
                if k < len(c_frames[jj]):
                    _count_contested(inputs, int(c_frames[jj][k]), jj, g_dense, p_dense, latest[jj],
                                     matched, switches, sum_d)
    out = []
    for jj in range(NUM_JOINTS):
        det = int(matched[jj] + switches[jj])
        out.append({"num_objects": int(objects[jj]), "num_misses": int(objects[jj]) - det,
                    "num_switches": int(switches[jj]), "num_false_positives": int(hyps[jj]) - det,
                    "num_detections": det, "num_matches": int(matched[jj]), "sumD": sum_d[jj]})
    return out


def _repeated_keys(fj: np.ndarray, ids: np.ndarray, n_ids: int) -> np.ndarray:
    """The frame-joint keys in which some id occurs in more than one pair."""
    key = np.sort(fj * n_ids + ids)
    return key[1:][key[1:] == key[:-1]] // n_ids


def _count_run(run: np.ndarray, f, j, o, h, d, row, latest: np.ndarray, matched: np.ndarray,
               switches: np.ndarray, sum_d: list[float]) -> None:
    """Count the pairs `run` (uncontested frames, every joint's next run) and update `latest`."""
    f, j, o, h, d, row = f[run], j[run], o[run], h[run], d[run], row[run]
    by_track = np.lexsort((f, o, j))  # each (joint, GT id)'s pairs in frame order
    jo = j[by_track] * latest.shape[1] + o[by_track]
    first = np.ones(len(run), dtype=bool)
    first[1:] = jo[1:] != jo[:-1]
    before = np.empty(len(run), dtype=np.int64)  # the hypothesis of the latest match before each pair
    before[by_track[first]] = latest.ravel()[jo[first]]
    before[by_track[~first]] = h[by_track][np.flatnonzero(~first) - 1]
    switch = (before >= 0) & (before != h)
    np.add.at(matched, j[~switch], 1)
    np.add.at(switches, j[switch], 1)
    last = np.ones(len(run), dtype=bool)
    last[:-1] = jo[1:] != jo[:-1]
    latest.ravel()[jo[last]] = h[by_track][last]
    # sumD in the accumulator's order: a frame whose pairs are all carried over adds them in pair order;
    # any other frame its carried pairs, then the Hungarian ones, each by GT row.
    carried = before == h
    fj = f * NUM_JOINTS + j
    new_frame = np.ones(len(run), dtype=bool)
    new_frame[1:] = fj[1:] != fj[:-1]  # the run is ordered by frame, joint
    starts = np.flatnonzero(new_frame)
    frame_all_carried = np.minimum.reduceat(carried, starts)
    all_carried = frame_all_carried[np.cumsum(new_frame) - 1]
    position = np.arange(len(run))
    order = np.lexsort((np.where(all_carried, position, row), ~carried & ~all_carried, f, j))
    for jj, dist in zip(j[order].tolist(), d[order].tolist()):  # Python floats: IEEE doubles, one by one
        sum_d[jj] += dist


def _count_contested(inputs: MOTInputs, frame: int, joint: int, g_dense: np.ndarray, p_dense: np.ndarray,
                     latest: np.ndarray, matched: np.ndarray, switches: np.ndarray, sum_d: list[float]
                     ) -> None:
    """One contested frame of one joint through `JointAccumulator.update`, from and into `latest`."""
    g0, g1 = int(inputs.gt_start[frame]), int(inputs.gt_start[frame + 1])
    p0, p1 = int(inputs.pr_start[frame]), int(inputs.pr_start[frame + 1])
    oids = g_dense[g0:g1][inputs.gt_has[g0:g1, joint]].tolist()
    hids = p_dense[p0:p1][inputs.pr_has[p0:p1, joint]].tolist()
    sel = np.flatnonzero((inputs.pair_frame == frame) & (inputs.pair_joint == joint))
    pairs = list(zip(g_dense[inputs.pair_gt[sel]].tolist(), p_dense[inputs.pair_pr[sel]].tolist(),
                     inputs.pair_dist[sel].tolist()))
    acc = JointAccumulator("latest_match")
    acc.pairing = {o: hh for o, hh in enumerate(latest.tolist()) if hh >= 0}
    acc.counts["sumD"] = sum_d[joint]
    acc.update(oids, hids, pairs)
    matched[joint] += acc.counts["num_matches"]
    switches[joint] += acc.counts["num_switches"]
    sum_d[joint] = acc.counts["sumD"]
    for o, hh in acc.pairing.items():
        latest[o] = hh


def mot_metrics(counts: dict[str, float]) -> dict[str, float]:
    """MOTA, MOTP, Prec, Rec (in %) of one joint from pooled counts (evaluateTracking.py L152-177)."""
    n_obj = counts["num_objects"] if counts["num_objects"] > 0 else np.nan
    n_fp, n_det, s = counts["num_false_positives"], counts["num_detections"], counts["sumD"]
    mota = 100 * (1.0 - (counts["num_misses"] + counts["num_switches"] + n_fp) / n_obj)
    motp = 0.0 if (n_det == 0 or np.isnan(s)) else 100 * (1.0 - s / n_det)
    total_det = n_fp + n_det if n_fp + n_det > 0 else np.nan
    return {"MOTA": mota, "MOTP": motp, "Prec": 100 * n_det / total_det, "Rec": 100 * n_det / n_obj}


def mot_rows(counts_by_seq: list[list[dict[str, float]]]) -> list[dict[str, float]]:
    """Counts pooled over sequences per joint, then MOTA/MOTP/Prec/Rec per joint (§2.4)."""
    rows = []
    for j in range(NUM_JOINTS):
        pooled = {k: sum(seq[j][k] for seq in counts_by_seq) for k in MOT_COUNTS}
        rows.append({**mot_metrics(pooled), **pooled})
    return rows
