"""Unit tests of the harness's pure parts (no root needed): python3 -m unittest discover bench/tests"""
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from harness import model, proc, report, tools  # noqa: E402


class Stats(unittest.TestCase):
    def test_percentiles_interpolate_like_numpy(self):
        xs = [1.0, 2.0, 3.0, 4.0, 10.0]
        s = model.summarize(xs)
        self.assertEqual(s["median"], 3.0)
        self.assertAlmostEqual(s["p10"], 1.4)
        self.assertAlmostEqual(s["p90"], 7.6)
        self.assertEqual((s["min"], s["max"], s["n"]), (1.0, 10.0, 5))

    def test_ratio_uses_medians_and_refuses_missing(self):
        b = model.Bench("x", "x", "ms", ["cove", "crun"], target={"crun": 0.7})
        b.series["cove"].samples = [1.0, 2.0, 3.0]
        b.series["crun"].samples = [4.0, 4.0, 4.0]
        self.assertAlmostEqual(b.ratio("cove", "crun"), 0.5)
        b.series["cove"].fail("unsupported", "cove create: exit 1: no")
        self.assertIsNone(b.ratio("cove", "crun"))
        j = b.to_json()
        self.assertEqual(j["results"]["cove"]["status"], "unsupported")
        self.assertNotIn("median", j["results"]["cove"])  # no number for a step that did not work


class Table(unittest.TestCase):
    def row(self, cove, crun):
        return {"key": "lifecycle", "title": "lifecycle", "unit": "ms",
                "results": {"cove": cove, "crun": crun},
                "ratios": {"cove/crun": None if cove.get("status") != "ok" else cove["median"] / crun["median"]},
                "target": {"cove/crun": 0.7}}

    def test_unsupported_cell_names_cove_and_the_error(self):
        t = report.table([self.row({"status": "unsupported", "error": "cove create: exit 64: Error: x"},
                                   {"status": "ok", "n": 5, "median": 10.0, "p10": 9.0, "p90": 12.0})], ["crun"])
        self.assertIn("cove: unsupported: cove create: exit 64: Error: x", t)
        self.assertIn("10.0 (9.00–12.0)", t)

    def test_target_marks(self):
        ok = {"status": "ok", "n": 5, "median": 5.0, "p10": 4.0, "p90": 6.0}
        ref = {"status": "ok", "n": 5, "median": 10.0, "p10": 9.0, "p90": 12.0}
        self.assertIn("0.50× ✓", report.table([self.row(ok, ref)], ["crun"]))
        slow = dict(ok, median=9.0)
        self.assertIn("0.90× ✗ (≤0.7)", report.table([self.row(slow, ref)], ["crun"]))


class Failures(unittest.TestCase):
    def test_error_line_prefers_the_line_with_error(self):
        with tempfile.NamedTemporaryFile("w", delete=False) as f:
            f.write("Usage: cove <subcommand>\nError: Unknown option '--pid-file'\n")
        try:
            line = proc.describe_failure(f.name, 64, ["/x/cove", "--root", "/r", "create", "--bundle", "/b", "id"])
        finally:
            os.unlink(f.name)
        self.assertEqual(line, "cove create: exit 64: Error: Unknown option '--pid-file'")

    def test_missing_binary_is_a_failure_not_a_crash(self):
        with tempfile.TemporaryDirectory() as d:
            r = proc.run(["/nonexistent/cove", "create"], os.path.join(d, "log"))
            self.assertFalse(r.ok)
            self.assertIn("cannot execute /nonexistent/cove", r.error_line())

    def test_cpu_time_counts_the_children_it_reaped(self):
        # The CPU a foreground `run` costs is mostly its container's: the shell here burns ~0.2 s in a child
        # it waits for, and the result must count it, while an idle sleep of the same length counts ~nothing.
        burn = "python3 -c 'import time\nt=time.process_time()\nwhile time.process_time()-t<0.2: pass'"
        with tempfile.TemporaryDirectory() as d:
            busy = proc.run(["/bin/sh", "-c", burn + "; true"], os.path.join(d, "log"))
            idle = proc.run(["/bin/sh", "-c", "sleep 0.2; true"], os.path.join(d, "log"))
            self.assertTrue(busy.ok and idle.ok)
            self.assertGreaterEqual(busy.cpu_secs, 0.19)
            self.assertLess(idle.cpu_secs, 0.1)

    def test_timeout_kills_and_reports(self):
        with tempfile.TemporaryDirectory() as d:
            r = proc.run(["/bin/sleep", "5"], os.path.join(d, "log"), timeout=0.2)
            self.assertTrue(r.timed_out)
            self.assertLess(r.secs, 2)


class NetnsScript(unittest.TestCase):
    def test_rows_from_its_json_line(self):
        data = {"target_ratio": 0.5, "results": {"netns": {
            "cove": {"median_ms": 1.0, "p10_ms": 0.9, "p90_ms": 1.2, "n": 20},
            "ip": {"median_ms": 4.0, "p10_ms": 3.5, "p90_ms": 4.5, "n": 20}, "ratio_cove_ip": 0.25}}}
        rows = tools.rows_from_netns_json(data)
        self.assertEqual(len(rows), 1)
        self.assertEqual(rows[0]["results"]["iproute2"]["median"], 4.0)
        self.assertEqual(rows[0]["ratios"]["cove/iproute2"], 0.25)
        self.assertEqual(tools.rows_from_netns_json(None), [])


class Report(unittest.TestCase):
    def doc(self, **extra):
        meta = {"mode": "full", "date": "d", "git": "g", "machine": {}, "versions": {}, "runs": {"netns": 2}}
        meta.update(extra.pop("meta", {}))
        return dict({"meta": meta, "runtime": [], "tools": [], "notes": [], "leftovers": []}, **extra)

    def test_floor_section_and_page_cache_note_only_when_present(self):
        plain = report.markdown(self.doc())
        self.assertNotIn("bench/floor/netns.sh", plain)
        self.assertNotIn("Page cache:", plain)
        floor = {"argv": ["floor/netns.sh", "--runs", "2"], "exit": 0, "output": "  Swift floor  1.0  (0.60x)\n"}
        text = report.markdown(self.doc(netns_floor=floor, meta={"page_cache": "Page cache: evicted."}))
        self.assertIn("## bench/floor/netns.sh", text)
        self.assertIn("Swift floor  1.0  (0.60x)", text)
        self.assertIn("Page cache: evicted.", text)


class CgroupLeftovers(unittest.TestCase):
    def test_finds_each_runtimes_naming_and_nothing_else(self):
        from harness import cgroups
        with tempfile.TemporaryDirectory() as root:
            mnt = os.path.join(root, "memory")
            for d in ("bx1-a", "cove-bx1-b", "user.slice/bx1-c", "user.slice", "cove-other", "bx2-d"):
                os.makedirs(os.path.join(mnt, d), exist_ok=True)
            saved = cgroups._hierarchies
            cgroups._hierarchies = lambda: [(mnt, "/user.slice")]
            try:
                found = cgroups.find_leftovers("bx1-")
            finally:
                cgroups._hierarchies = saved
            self.assertEqual(found, sorted(os.path.join(mnt, d) for d in ("bx1-a", "cove-bx1-b", "user.slice/bx1-c")))


if __name__ == "__main__":
    unittest.main()
