"""Who is in the load test: the users and rooms of one partition, drawn like the original test.

A run of U users and R rooms is cut into P partitions (worker processes, across shards): user
``u`` and room ``r`` belong to partition ``u % P`` and ``r % P``. A room's 3-8 participants are
drawn at random from its partition's users, so every socket that should receive a message lives
in the partition that sent it: each partition checks delivery and latency on its own (one
clock), and shards on different machines need no coordination beyond the merge.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

MIN_ROOM, MAX_ROOM = 3, 8
PASSWORD = "loadtest-password"


@dataclass(frozen=True)
class Partition:
    index: int
    count: int

    def __post_init__(self) -> None:
        if not 0 <= self.index < self.count:
            raise ValueError(f"partition index {self.index} is not in 0..{self.count - 1}")

    def share(self, total: int) -> int:
        """How many of ``total`` items (users or rooms) this partition holds."""
        return len(range(self.index, total, self.count))


@dataclass(frozen=True)
class RoomPlan:
    name: str
    #: indices into the partition's users; the first creates the room.
    members: tuple[int, ...]


@dataclass(frozen=True)
class PartitionPlan:
    partition: Partition
    usernames: tuple[str, ...]
    rooms: tuple[RoomPlan, ...]

    @property
    def memberships(self) -> int:
        return sum(len(room.members) for room in self.rooms)


def plan_partition(
    users: int, rooms: int, partition: Partition, run_id: str, seed: int
) -> PartitionPlan:
    """The usernames and rooms of ``partition`` (deterministic for a seed)."""
    n_users, n_rooms = partition.share(users), partition.share(rooms)
    if n_rooms and n_users < MIN_ROOM:
        raise ValueError(
            f"partition {partition.index} has {n_users} users, a room needs {MIN_ROOM}: "
            "use more users or fewer workers/shards"
        )
    rng = random.Random(f"{seed}:{partition.index}:{partition.count}")
    tag = f"lt{run_id}p{partition.index}"
    names = tuple(f"{tag}u{i}" for i in range(n_users))
    plans = []
    for r in range(n_rooms):
        size = rng.randint(MIN_ROOM, min(MAX_ROOM, n_users))
        plans.append(RoomPlan(f"{tag} room {r}", tuple(rng.sample(range(n_users), size))))
    return PartitionPlan(partition, names, tuple(plans))
