"""`crm sync`: the notes and a phone, through vdirs that vdirsyncer syncs with a server.

A vdir is a folder with one `.ics` or `.vcf` file per item, the storage of vdirsyncer,
khal, todoman and khard. crm keeps up to three (`[sync]` in crm.toml): open follow-ups and
reconnects as VTODOs, birthdays and dates as VEVENTs, contacts as vCards. vdirsyncer does
the transport (etags, auth, its own conflict rule); crm only reads and writes the folder.

One sync is pull, apply, push (docs/sync.md):
- pull (`plan`): a file whose bytes differ from what crm last wrote there (`state`, kept
  in `.crm/`) was changed on the other side; a file crm never wrote was created there;
- apply (`apply`): what the notes can take from those changes (a ticked task, a moved due
  date, a reconnect done, new phones and emails) becomes surgical edits of the notes,
  through the one writer; the note wins wherever it changed the same item too;
- push (`push`): the vdirs are rewritten from the notes (`items`), only the files whose
  bytes change, and the state records what was written.

Notes are written first, then the vdir files, then the state, each atomically, and every
step is idempotent (a tick already made is not made twice, an item already written is
not written again), so a sync killed anywhere leaves what the next one finishes.
"""
