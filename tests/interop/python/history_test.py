"""Self-tests of the history checker: each rule catches the violation it is for, and a good
history passes. No broker involved."""

import unittest

from history import ACKED, Consumed, History, Record, check, make_value


def rec(topic, partition, rid, key=b"k", headers=(("h", b"v"),), timestamp=1000):
    return Record(topic, partition, key, make_value(rid, b"payload"), headers, timestamp)


def good_history():
    h = History()
    for i in range(3):
        h.sent(f"a{i}", rec("t", 0, f"a{i}", timestamp=1000 + i))
        h.acked(f"a{i}", i)
    h.sent("u0", rec("t", 1, "u0"))  # acks=0: unknown
    return h


def consumed_ok(h):
    return [Consumed(h.sent_by_id[f"a{i}"].record, i) for i in range(3)]


class HistoryCheckerTest(unittest.TestCase):
    def test_a_complete_in_order_history_passes(self):
        h = good_history()
        self.assertEqual(check(h, consumed_ok(h)), [])

    def test_an_unknown_acks0_record_may_be_missing_or_present(self):
        h = good_history()
        with_u0 = consumed_ok(h) + [Consumed(h.sent_by_id["u0"].record, 0)]
        self.assertEqual(check(h, with_u0), [])

    def test_a_lost_acked_record_is_reported(self):
        h = good_history()
        problems = check(h, consumed_ok(h)[:2])
        self.assertEqual(len(problems), 1)
        self.assertIn("lost a2", problems[0])

    def test_may_lose_excuses_only_the_marked_record(self):
        h = good_history()
        h.may_lose("a2")
        self.assertEqual(check(h, consumed_ok(h)[:2]), [])

    def test_a_duplicate_is_reported(self):
        h = good_history()
        c = consumed_ok(h)
        c.append(Consumed(c[2].record, 3))
        self.assertTrue(any("duplicate a2" in p for p in check(h, c)))

    def test_a_retried_send_may_be_stored_twice_but_nothing_else(self):
        h = good_history()
        h.retried("a1")
        h.acked("a1", 4)
        c = consumed_ok(h) + [Consumed(h.sent_by_id["a1"].record, 4)]
        self.assertEqual(check(h, c), [])
        c.append(Consumed(h.sent_by_id["a0"].record, 5))
        self.assertTrue(any("duplicate a0" in p for p in check(h, c)))

    def test_a_changed_copy_of_a_retried_send_is_reported(self):
        h = good_history()
        h.retried("a1")
        h.acked("a1", 4)
        changed = Record("t", 0, b"other", h.sent_by_id["a1"].record.value, (("h", b"v"),), 1001)
        c = consumed_ok(h) + [Consumed(changed, 4)]
        self.assertTrue(any("a1" in p and "key" in p for p in check(h, c)))

    def test_a_phantom_is_reported(self):
        h = good_history()
        c = consumed_ok(h) + [Consumed(rec("t", 0, "never-sent"), 3)]
        self.assertTrue(any("phantom" in p for p in check(h, c)))

    def test_a_record_without_an_id_is_a_phantom(self):
        h = good_history()
        c = consumed_ok(h) + [Consumed(Record("t", 0, None, b"garbage"), 3)]
        self.assertTrue(any("phantom" in p for p in check(h, c)))

    def test_reordering_within_a_partition_is_reported(self):
        h = good_history()
        c = consumed_ok(h)
        swapped = [Consumed(c[1].record, 0), Consumed(c[0].record, 1), c[2]]
        problems = check(h, swapped)
        self.assertTrue(any("out of send order" in p for p in problems))

    def test_non_increasing_offsets_are_reported(self):
        h = History()
        for i in range(2):
            h.sent(f"a{i}", rec("t", 0, f"a{i}"))
        c = [Consumed(h.sent_by_id["a0"].record, 5), Consumed(h.sent_by_id["a1"].record, 5)]
        self.assertTrue(any("offset 5 after 5" in p for p in check(h, c)))

    def test_an_acked_offset_must_match_the_consumed_offset(self):
        h = good_history()
        c = consumed_ok(h)
        c[2] = Consumed(c[2].record, 7)
        self.assertTrue(any("acked at offset 2, read at 7" in p for p in check(h, c)))

    def test_changed_key_value_headers_or_timestamp_are_reported(self):
        for field, changed in [
            ("key", dict(key=b"other")),
            ("headers", dict(headers=(("h", None),))),
            ("timestamp", dict(timestamp=999)),
        ]:
            with self.subTest(field=field):
                h = good_history()
                c = consumed_ok(h)
                c[0] = Consumed(rec("t", 0, "a0", **changed), 0)
                self.assertTrue(any(field in p for p in check(h, c)), check(h, c))
        h = good_history()
        c = consumed_ok(h)
        r = c[0].record
        c[0] = Consumed(Record(r.topic, r.partition, r.key, r.value + b"x", r.headers, r.timestamp), 0)
        self.assertTrue(any("value differs" in p for p in check(h, c)))

    def test_log_append_time_is_reported(self):
        h = good_history()
        c = consumed_ok(h)
        c[0] = Consumed(c[0].record, 0, timestamp_type=1)
        self.assertTrue(any("CreateTime" in p for p in check(h, c)))

    def test_a_client_stamped_timestamp_must_be_inside_the_send_window(self):
        h = History()
        h.sent("x", rec("t", 0, "x", timestamp=None), ts_window=(100, 200))
        h.acked("x", 0)
        inside = Record("t", 0, b"k", make_value("x", b"payload"), (("h", b"v"),), 150)
        outside = Record("t", 0, b"k", make_value("x", b"payload"), (("h", b"v"),), 250)
        self.assertEqual(check(h, [Consumed(inside, 0)]), [])
        self.assertTrue(any("outside send window" in p for p in check(h, [Consumed(outside, 0)])))

    def test_a_record_read_from_another_partition_is_reported(self):
        h = good_history()
        c = consumed_ok(h)
        r = c[0].record
        moved = Record(r.topic, 1, r.key, r.value, r.headers, r.timestamp)
        c[0] = Consumed(moved, 0)
        self.assertTrue(any("sent to t-0" in p for p in check(h, c)))

    def test_status_is_tracked(self):
        h = good_history()
        self.assertEqual(h.status("a0"), ACKED)
        h.failed("a1")
        self.assertEqual(h.status("a1"), "failed")
        self.assertEqual(sorted(h.ids(status=ACKED)), ["a0", "a2"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
