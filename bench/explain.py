"""explain.py - the plans auto_explain logged for docket-load's views runs
(PostgreSQL's log on stdin), one per view: the last of each run of REPS.
Two runs are in the log, as scripts/bench makes them: the first (a content
updater) gives every view but my_graphics, the second (a graphics
designer) gives my_graphics."""
import re
import sys

VIEWS = ["my_open", "unassigned", "waiting_on_graphics", "my_graphics",
         "open", "closed"]
reps = int(sys.argv[1])
WARMUP = 10  # bench/load.c's VIEW_WARMUP calls come first, unmeasured
per = reps + WARMUP
plans, cur = [], None
for line in sys.stdin:
    if re.search(r"LOG:  duration: [0-9.]+ ms  plan:", line):
        cur = [line.split("LOG:  ", 1)[1].rstrip()]
        plans.append(cur)
    elif cur is not None and line.startswith("\t"):
        cur.append(line[1:].rstrip())
    else:
        cur = None
# Only tickets.view's statement (others: session touches, the feed).
plans = [p for p in plans if any("WINDOW w AS (ORDER BY t.priority_rank" in l for l in p)]
if len(plans) != 2 * per * len(VIEWS):
    sys.exit("explain.py: expected %d view plans, found %d"
             % (2 * per * len(VIEWS), len(plans)))
first, second = plans[:per * len(VIEWS)], plans[per * len(VIEWS):]
print("# EXPLAIN (ANALYZE, BUFFERS) of tickets.view at 1,000,000 tickets, as")
print("# docketd ran it (auto_explain; run %d of %d, the generic plan)." %
      (reps, reps))
print("# Reproduce: scripts/bench views")
for i, view in enumerate(VIEWS):
    runs = second if view == "my_graphics" else first
    plan = runs[(i + 1) * per - 1]
    print()
    print("## " + view)
    print()
    for line in plan:
        if line.startswith("Query Text:"):
            continue
        print(line)
