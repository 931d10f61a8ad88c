"""Produce/consume history and its checker, shared by every Python interop test.

A test records what it sent (`History.sent`, in send order), what the producer was told
(`acked` with the offset, or `failed`; acks=0 sends stay `UNKNOWN`), then hands everything a
consumer read back to `check()`. Records are identified by a unique id embedded in their value
(`make_value` / `id_of`), so the checker does not trust offsets to identify anything.

Rules (`check` returns a list of violations; empty means the history is good):
  * no phantom: every consumed record's id was sent, to the same topic and partition;
  * no duplicate: each id is consumed at most once;
  * intact: key, value, headers (order, duplicates, null values) and timestamp equal what was
    sent; the timestamp type is CreateTime. A record sent without a timestamp (the client stamps
    it) must carry one inside the window given to `sent`;
  * no loss: every record whose status is ACKED was consumed (`may_lose` relaxes this for the
    records a test knows may legitimately vanish, e.g. acks=1 across a kill -9);
  * acked offsets: an acked record with a known offset is consumed at exactly that offset;
  * order: per partition, consumed offsets strictly increase and the consumed ids follow the
    send order (a subsequence of it, since UNKNOWN/FAILED records may be missing).
  * retried sends (`retried`: the test sent the same record again after a failure, as a
    producer must without idempotence) may be consumed more than once, each copy intact, and
    are exempt from the send-order rule; nothing else may be duplicated.
"""

from collections import defaultdict
from dataclasses import dataclass

ACKED = "acked"
FAILED = "failed"  # the producer reported an error: possibly persisted, possibly not
UNKNOWN = "unknown"  # acks=0: no answer by design

CREATE_TIME = 0


@dataclass(frozen=True)
class Record:
    """A record as sent or as consumed. headers: tuple of (str, bytes | None) in wire order."""

    topic: str
    partition: int
    key: object  # bytes or None
    value: bytes
    headers: tuple = ()
    timestamp: object = None  # int ms, or None when the client stamps it


@dataclass(frozen=True)
class Consumed:
    record: Record
    offset: int
    timestamp_type: int = CREATE_TIME


def make_value(record_id, filler=b""):
    return b"id=" + record_id.encode() + b";" + filler


def id_of(value):
    """The id inside a value made by make_value, or None if it has none."""
    if value is None or not value.startswith(b"id="):
        return None
    end = value.find(b";")
    return value[3:end].decode(errors="replace") if end > 0 else None


@dataclass
class _Sent:
    record: Record
    index: int  # position in its partition's send order
    status: str = UNKNOWN
    offset: object = None
    ts_window: object = None  # (lo, hi) ms when the client stamps the record
    may_lose: bool = False
    retried: bool = False


class History:
    def __init__(self):
        self.sent_by_id = {}
        self.order = defaultdict(list)  # (topic, partition) -> [id] in send order

    def sent(self, record_id, record, ts_window=None):
        if record_id in self.sent_by_id:
            raise ValueError(f"id {record_id} sent twice")
        tp = (record.topic, record.partition)
        self.sent_by_id[record_id] = _Sent(record, len(self.order[tp]), ts_window=ts_window)
        self.order[tp].append(record_id)

    def acked(self, record_id, offset=None):
        entry = self.sent_by_id[record_id]
        entry.status = ACKED
        entry.offset = offset if offset is not None and offset >= 0 else None

    def failed(self, record_id):
        self.sent_by_id[record_id].status = FAILED

    def may_lose(self, record_id):
        self.sent_by_id[record_id].may_lose = True

    def retried(self, record_id):
        """The record is being sent again after a failed attempt (status back to UNKNOWN until
        the new attempt's outcome): it may legitimately be stored twice."""
        entry = self.sent_by_id[record_id]
        entry.retried = True
        entry.status = UNKNOWN
        entry.offset = None

    def status(self, record_id):
        return self.sent_by_id[record_id].status

    def ids(self, status=None, topic=None):
        return [
            i
            for i, s in self.sent_by_id.items()
            if (status is None or s.status == status) and (topic is None or s.record.topic == topic)
        ]

    def partitions(self):
        return sorted(self.order)

    def acked_end_offsets(self, topics=None):
        """{(topic, partition): last acked offset + 1} over acked records with known offsets:
        what a reader must wait for before "everything acknowledged" is readable."""
        out = {}
        for s in self.sent_by_id.values():
            r = s.record
            if s.status == ACKED and s.offset is not None and (topics is None or r.topic in topics):
                out[(r.topic, r.partition)] = max(out.get((r.topic, r.partition), 0), s.offset + 1)
        return out


def _intact_problems(rid, sent, got):
    want = sent.record
    problems = []
    if got.record.key != want.key:
        problems.append(f"key {got.record.key!r} != sent {want.key!r}")
    if got.record.value != want.value:
        problems.append(f"value differs (len {len(got.record.value)} vs {len(want.value)})")
    if tuple(got.record.headers) != tuple(want.headers):
        problems.append(f"headers {got.record.headers!r} != sent {want.headers!r}")
    if got.timestamp_type != CREATE_TIME:
        problems.append(f"timestamp type {got.timestamp_type} is not CreateTime")
    if want.timestamp is not None:
        if got.record.timestamp != want.timestamp:
            problems.append(f"timestamp {got.record.timestamp} != sent {want.timestamp}")
    elif sent.ts_window is not None:
        lo, hi = sent.ts_window
        if not (lo <= (got.record.timestamp or 0) <= hi):
            problems.append(f"timestamp {got.record.timestamp} outside send window [{lo}, {hi}]")
    return [f"{rid} at {got.record.topic}-{got.record.partition}@{got.offset}: {p}" for p in problems]


def check(history, consumed, topics=None):
    """Violations of the rules above. `consumed`: Consumed records in the order the consumer
    returned them. `topics`: restrict the loss check to these topics (None: all)."""
    problems = []
    seen = {}
    last_offset = {}
    last_index = {}
    for c in consumed:
        tp = (c.record.topic, c.record.partition)
        if tp in last_offset and c.offset <= last_offset[tp]:
            problems.append(f"{tp[0]}-{tp[1]}: offset {c.offset} after {last_offset[tp]}")
        last_offset[tp] = c.offset
        rid = id_of(c.record.value)
        sent = history.sent_by_id.get(rid) if rid is not None else None
        if sent is None:
            problems.append(f"phantom record at {tp[0]}-{tp[1]}@{c.offset}: {c.record.value[:40]!r}")
            continue
        if rid in seen:
            if sent.retried:
                problems += _intact_problems(rid, sent, c)
            else:
                problems.append(f"duplicate {rid}: offsets {seen[rid]} and {c.offset}")
            continue
        seen[rid] = c.offset
        if (sent.record.topic, sent.record.partition) != tp:
            problems.append(f"{rid} sent to {sent.record.topic}-{sent.record.partition}, read from {tp}")
            continue
        problems += _intact_problems(rid, sent, c)
        if sent.retried:
            continue  # which copy carries the acked offset is unknown; resends reorder
        if sent.status == ACKED and sent.offset is not None and sent.offset != c.offset:
            problems.append(f"{rid} acked at offset {sent.offset}, read at {c.offset}")
        if tp in last_index and sent.index <= last_index[tp]:
            problems.append(f"{rid} out of send order in {tp[0]}-{tp[1]} (index {sent.index})")
        last_index[tp] = sent.index
    for rid, sent in history.sent_by_id.items():
        if topics is not None and sent.record.topic not in topics:
            continue
        if sent.status == ACKED and not sent.may_lose and rid not in seen:
            where = f"{sent.record.topic}-{sent.record.partition}"
            problems.append(f"lost {rid}: acked at {where}@{sent.offset}, never read back")
    return problems


def summary(history, consumed):
    counts = defaultdict(int)
    for s in history.sent_by_id.values():
        counts[s.status] += 1
    return f"sent {len(history.sent_by_id)} ({dict(counts)}), consumed {len(consumed)}"
