"""``minitalk-replay``: rebuild and verify room files from the streams, back up and restore the
log, look at a room as of a point in the log, follow events live.

It lives next to the code that owns the room-file format and writes through the same functions
(``roomfile.make_entry``, ``roomfile.encode_appends``), so rebuilt files are the persister's bytes.
"""
