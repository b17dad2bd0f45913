"""The chat contract, defined once: what every service says about messages, history and rooms.

- ``messages``: the wire message (live ``message`` event and history entry) and its timestamp;
- ``history``: the history request and reply between rooms and the persister, with the error
  codes a reply carries and the HTTP status each becomes;
- ``membership``: the pure fold of ROOMS events into rooms and members that rooms, realtime and
  the replay tool all apply (one rule for every event, a duplicate ``RoomCreated`` included);
- ``reads``: the fold of READS events into read positions (only forward), and the publish rule;
- ``summary``: the room-list summary request and reply between rooms and the persister;
- ``presence``: the "who of these is online" query between rooms and realtime.
"""
