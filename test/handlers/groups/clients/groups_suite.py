"""Drives Sluice's consumer groups with confluent-kafka (librdkafka) and kafka-python, as
applications do, for issue 4's scenarios.

Usage: groups_suite.py BOOTSTRAP STEP [ARGS]
Each STEP prints 'ok <step>' on success and exits non-zero with the reason otherwise. The broker
runs with group.min.session.timeout.ms=1000 so that session expiry takes about two seconds.
"""
import subprocess, sys, threading, time, uuid
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

bootstrap, step = sys.argv[1], sys.argv[2]
SESSION_MS = 2000


def fail(msg):
    print('FAIL ' + msg, file=sys.stderr)
    sys.exit(1)


def topic_with_messages(partitions=6, per_partition=5):
    name = 't-' + uuid.uuid4().hex[:8]
    admin = AdminClient({'bootstrap.servers': bootstrap})
    for f in admin.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1)]).values():
        f.result(timeout=15)
    p = Producer({'bootstrap.servers': bootstrap})
    for i in range(partitions * per_partition):
        p.produce(name, value=str(i).encode(), partition=i % partitions)
    if p.flush(15) != 0:
        fail('produce did not finish')
    return name


def consumer(group, name, **extra):
    conf = {'bootstrap.servers': bootstrap, 'group.id': group, 'client.id': name,
            'auto.offset.reset': 'earliest', 'session.timeout.ms': SESSION_MS,
            'heartbeat.interval.ms': 300}
    conf.update(extra)
    return Consumer(conf)


def assignment(c):
    return sorted(tp.partition for tp in c.assignment())


def pump(consumers, until, timeout_s=20, on_message=None):
    """Polls every consumer in turn until until() holds; fails after timeout_s."""
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        for c in consumers:
            m = c.poll(0.02)
            if m is not None and not m.error() and on_message:
                on_message(c, m)
        if until():
            return
    fail('timed out; assignments %s' % [assignment(c) for c in consumers])


def balanced(consumers, partitions=6):
    sets = [assignment(c) for c in consumers]
    flat = sorted(p for s in sets for p in s)
    return flat == list(range(partitions)) and max(map(len, sets)) - min(map(len, sets)) <= 1


def three_consumers():
    """Every message once: each consumer commits what it consumed before moving on."""
    topic, group = topic_with_messages(), 'g-' + uuid.uuid4().hex[:8]
    cs = [consumer(group, 'c%d' % i, **{'enable.auto.commit': False}) for i in range(3)]
    for c in cs:
        c.subscribe([topic])
    seen = {}

    def consumed(c, m):
        seen.setdefault(m.value(), []).append(c)
        c.commit(m, asynchronous=False)
    pump(cs, lambda: balanced(cs) and len(seen) == 30, on_message=consumed)
    if any(len(v) != 1 for v in seen.values()):
        fail('a message was consumed twice')
    if sorted(len(assignment(c)) for c in cs) != [2, 2, 2]:
        fail('assignments %s' % [assignment(c) for c in cs])
    for c in cs:
        c.close()


def leave():
    topic, group = topic_with_messages(), 'g-' + uuid.uuid4().hex[:8]
    a, b = consumer(group, 'a'), consumer(group, 'b')
    a.subscribe([topic]); b.subscribe([topic])
    pump([a, b], lambda: balanced([a, b]))
    a.close()  # sends LeaveGroup
    started = time.time()
    pump([b], lambda: assignment(b) == list(range(6)))
    if time.time() - started > SESSION_MS / 1000:
        fail('took %.1fs: the leave was not seen before the session timeout' % (time.time() - started))
    b.close()


def member():
    """Helper for sigkill: joins sys.argv[3]'s group on topic sys.argv[4] and polls forever."""
    c = consumer(sys.argv[3], 'victim')
    c.subscribe([sys.argv[4]])
    while True:
        c.poll(0.1)
        if c.assignment():
            print('assigned', flush=True)


def sigkill():
    topic, group = topic_with_messages(), 'g-' + uuid.uuid4().hex[:8]
    victim = subprocess.Popen([sys.executable, __file__, bootstrap, 'member', group, topic],
                              stdout=subprocess.PIPE, text=True)
    try:
        survivor = consumer(group, 'survivor')
        survivor.subscribe([topic])
        pump([survivor], lambda: len(assignment(survivor)) == 3)
    finally:
        victim.kill()
        victim.wait()
    pump([survivor], lambda: assignment(survivor) == list(range(6)), timeout_s=SESSION_MS / 1000 + 10)
    survivor.close()


def cooperative():
    topic, group = topic_with_messages(), 'g-' + uuid.uuid4().hex[:8]
    revoked = []
    def member(name):
        c = consumer(group, name, **{'partition.assignment.strategy': 'cooperative-sticky'})
        c.subscribe([topic], on_revoke=lambda c, ps: revoked.append((name, sorted(p.partition for p in ps))))
        return c
    a, b = member('a'), member('b')
    pump([a, b], lambda: balanced([a, b]))
    c = member('c')
    pump([a, b, c], lambda: balanced([a, b, c]))
    # Incremental: a and b each gave up one partition and kept the other two.
    if any(len(ps) != 1 for _, ps in revoked if ps):
        fail('cooperative rebalance revoked more than needed: %s' % revoked)
    for x in (a, b, c):
        x.close()


def static():
    topic, group = topic_with_messages(), 'g-' + uuid.uuid4().hex[:8]
    revoked = []
    def member(name, instance):
        c = consumer(group, name, **{'group.instance.id': instance, 'session.timeout.ms': 10000})
        c.subscribe([topic], on_revoke=lambda c, ps: revoked.append(name))
        return c
    a, b = member('a', 'i-a'), member('b', 'i-b')
    pump([a, b], lambda: balanced([a, b]))
    before = (assignment(a), assignment(b))
    a.close()  # a static member sends no LeaveGroup: its place is kept for its session timeout
    revoked.clear()
    a2 = member('a2', 'i-a')
    pump([a2, b], lambda: assignment(a2) == before[0])
    pump([a2, b], lambda: True, timeout_s=1)
    if assignment(b) != before[1] or 'b' in revoked:
        fail('the other member was rebalanced: %s, revoked %s' % (assignment(b), revoked))
    a2.close(); b.close()


def kafka_python():
    from kafka import KafkaAdminClient, KafkaConsumer
    topic, group = topic_with_messages(), 'g-' + uuid.uuid4().hex[:8]
    counts, assigned, consumers = {}, {}, []
    stop = threading.Event()

    # One thread per consumer: kafka-python joins inside poll(), and a join waits for the others.
    def run(name):
        c = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group, client_id=name,
                          auto_offset_reset='earliest', enable_auto_commit=False,
                          session_timeout_ms=SESSION_MS * 3, heartbeat_interval_ms=300)
        consumers.append(c)
        counts[name] = 0
        while not stop.is_set():
            batch = c.poll(100)
            counts[name] += sum(len(v) for v in batch.values())
            if batch:
                c.commit()
            assigned[name] = len(c.assignment())
    threads = [threading.Thread(target=run, args=('kp%d' % i,)) for i in range(2)]
    for t in threads:
        t.start()
    deadline = time.time() + 25
    while sum(counts.values()) < 30 or sorted(assigned.values()) != [3, 3]:
        if time.time() > deadline:
            stop.set()
            fail('kafka-python consumed %s, assignments %s' % (counts, assigned))
        time.sleep(0.1)
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    described = admin.describe_consumer_groups([group])[0]
    if described.state != 'Stable' or len(described.members) != 2:
        fail('described %s with %d members' % (described.state, len(described.members)))
    offsets = {tp.partition: o.offset for tp, o in admin.list_consumer_group_offsets(group).items()}
    if offsets != {p: 5 for p in range(6)}:
        fail('offsets %s' % offsets)
    if (group, 'consumer') not in admin.list_consumer_groups():
        fail('list_consumer_groups misses %s' % group)
    stop.set()
    for t in threads:
        t.join()
    for c in consumers:
        c.close()
    admin.close()


def commit(group, topic):
    c = consumer(group, 'committer', **{'enable.auto.commit': False})
    c.commit(offsets=[TopicPartition(topic, p, 100 + p) for p in range(6)], asynchronous=False)
    c.close()


def committed(group, topic):
    c = consumer(group, 'checker')
    got = [tp.offset for tp in c.committed([TopicPartition(topic, p) for p in range(6)], timeout=10)]
    c.close()
    if got != [100 + p for p in range(6)]:
        fail('committed offsets %s' % got)


steps = {
    'three-consumers': three_consumers, 'leave': leave, 'member': member, 'sigkill': sigkill,
    'cooperative': cooperative, 'static': static, 'kafka-python': kafka_python,
    'topic': lambda: print(topic_with_messages()),
    'commit': lambda: commit(sys.argv[3], sys.argv[4]),
    'committed': lambda: committed(sys.argv[3], sys.argv[4]),
}
steps[step]()
if step != 'topic':
    print('ok ' + step)
