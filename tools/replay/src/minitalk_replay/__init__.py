"""``minitalk-replay``: rebuild and verify room files from the streams, back up and restore the
log, look at a room as of a point in the log, follow events live.

A workspace member of its own (``tools/replay``), so the persister's image carries none of its
dependencies (typer, rich). It writes room files through the persister's own functions
(``minitalk_persister.roomfile.make_entry``, ``encode_appends``: the file format is the
persister's contract), so rebuilt files are the persister's bytes; it folds ROOMS with the shared
reducer (``minitalk_common.chat.membership``) and reads auth's credential records through their
contract (``minitalk_common.credentials``).
"""
