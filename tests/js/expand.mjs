// Expand an iCalendar feed with Mozilla's ical.js (the parser Thunderbird uses).
//
// Usage: node expand.mjs START END < feed.ics
//   START, END: YYYY-MM-DD; occurrences with START <= date < END are printed.
// Prints a JSON array of {date, end, uid, kind, contacts, summary, description, url, alarms},
// sorted, for tests/test_ics_readers.py to compare with the Python readers' expansion.
// Any parse error exits non-zero with the message on stderr.

import { readFileSync } from "node:fs";
import ICAL from "ical.js";

const [start, end] = process.argv.slice(2);
if (!/^\d{4}-\d{2}-\d{2}$/.test(start ?? "") || !/^\d{4}-\d{2}-\d{2}$/.test(end ?? "")) {
  console.error("usage: node expand.mjs START END < feed.ics");
  process.exit(2);
}

const text = readFileSync(0, "utf8");
const calendar = new ICAL.Component(ICAL.parse(text));
if (calendar.name !== "vcalendar") {
  console.error(`not a VCALENDAR: ${calendar.name}`);
  process.exit(1);
}

const rangeStart = ICAL.Time.fromDateString(start);
const rangeEnd = ICAL.Time.fromDateString(end);
const out = [];

for (const vevent of calendar.getAllSubcomponents("vevent")) {
  const event = new ICAL.Event(vevent);
  if (!event.startDate.isDate) {
    console.error(`event ${event.uid} is not all-day`);
    process.exit(1);
  }
  const categories = vevent.getFirstProperty("categories");
  const kind = categories ? categories.getValues()[0] : null;
  const contacts = vevent.getAllProperties("contact").map((p) => p.getFirstValue());
  const alarms = vevent
    .getAllSubcomponents("valarm")
    .map((a) => a.getFirstPropertyValue("trigger").toString());
  const record = (time) => {
    const end = event.isRecurring()
      ? event.getOccurrenceDetails(time).endDate
      : event.endDate;
    out.push({
      date: time.toString(),
      end: end.toString(),
      uid: event.uid,
      kind,
      contacts,
      summary: event.summary,
      description: event.description,
      url: vevent.getFirstPropertyValue("url"),
      alarms,
    });
  };
  if (event.isRecurring()) {
    const iterator = event.iterator();
    let next;
    let guard = 0;
    while ((next = iterator.next()) && next.compare(rangeEnd) < 0) {
      if (next.compare(rangeStart) >= 0) record(next);
      if (++guard > 100000) {
        console.error(`event ${event.uid} does not stop recurring`);
        process.exit(1);
      }
    }
  } else if (
    event.startDate.compare(rangeStart) >= 0 &&
    event.startDate.compare(rangeEnd) < 0
  ) {
    record(event.startDate);
  }
}

const key = (o) => `${o.date}\u0000${o.uid}`;
out.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
process.stdout.write(JSON.stringify(out, null, 1) + "\n");
