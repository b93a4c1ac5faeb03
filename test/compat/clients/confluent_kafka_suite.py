"""Drives a Sluice broker with confluent-kafka (librdkafka) the way an application would.

Usage: confluent_kafka_suite.py BOOTSTRAP STEP [TOPIC]
Each STEP prints 'ok <step>' on success and exits non-zero with the reason otherwise.
"""
import sys, time, uuid
from confluent_kafka import Producer, Consumer, TopicPartition, KafkaError, KafkaException
from confluent_kafka.admin import AdminClient, NewTopic, ConfigResource

bootstrap, step = sys.argv[1], sys.argv[2]
admin = AdminClient({'bootstrap.servers': bootstrap})


def fail(msg):
    print('FAIL ' + msg, file=sys.stderr)
    sys.exit(1)


def create(topic, partitions=1, config=None):
    fs = admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1, config=config or {})])
    for f in fs.values():
        f.result(timeout=15)


def consume_all(topic, count, timeout_s=20, partitions=None):
    c = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'g-' + uuid.uuid4().hex,
                  'auto.offset.reset': 'earliest', 'enable.auto.commit': False})
    if partitions is None:
        c.assign([TopicPartition(topic, 0, 0)])
    else:
        c.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
    out, deadline = [], time.time() + timeout_s
    while len(out) < count and time.time() < deadline:
        m = c.poll(0.5)
        if m is None:
            continue
        if m.error():
            fail('consume error: %s' % m.error())
        out.append(m)
    c.close()
    if len(out) != count:
        fail('consumed %d of %d from %s' % (len(out), count, topic))
    return out


def produce(topic, messages, **conf):
    p = Producer({'bootstrap.servers': bootstrap, 'linger.ms': 5, **conf})
    errors = []
    for m in messages:
        p.produce(topic, on_delivery=lambda err, msg: errors.append(err) if err else None, **m)
    p.flush(20)
    if errors:
        fail('delivery errors: %s' % errors[:3])


if step == 'roundtrip':
    topic = 'ck-roundtrip'
    create(topic)
    msgs = [{'key': b'k%d' % i, 'value': b'value-%d' % i, 'headers': [('h', b'%d' % i)], 'timestamp': 1700000000000 + i}
            for i in range(100)]
    msgs.append({'key': b'null-value', 'value': None})
    produce(topic, msgs)
    got = consume_all(topic, len(msgs))
    for i, m in enumerate(got[:100]):
        if m.key() != b'k%d' % i or m.value() != b'value-%d' % i or m.headers() != [('h', b'%d' % i)]:
            fail('message %d differs: %r %r %r' % (i, m.key(), m.value(), m.headers()))
        if m.timestamp()[1] != 1700000000000 + i or m.offset() != i:
            fail('message %d timestamp/offset %r %d' % (i, m.timestamp(), m.offset()))
    if got[100].value() is not None or got[100].key() != b'null-value':
        fail('null value not kept')
elif step == 'compression':
    for codec in ['gzip', 'snappy', 'lz4', 'zstd']:
        topic = 'ck-codec-' + codec
        create(topic)
        msgs = [{'key': b'%d' % i, 'value': (b'%s-%d ' % (codec.encode(), i)) * 50} for i in range(200)]
        produce(topic, msgs, **{'compression.codec': codec})
        got = consume_all(topic, len(msgs))
        if [m.value() for m in got] != [m['value'] for m in msgs]:
            fail('codec %s: values differ' % codec)
elif step == 'large':
    topic = 'ck-large'
    create(topic)
    big = bytes(range(256)) * (1000 * 1024 // 256)
    produce(topic, [{'value': big}, {'value': big[::-1]}], **{'message.max.bytes': 2000000})
    got = consume_all(topic, 2)
    if got[0].value() != big or got[1].value() != big[::-1]:
        fail('large values differ')
    # Past the broker's message.max.bytes (1048588) the broker answers MESSAGE_TOO_LARGE.
    errors = []
    p = Producer({'bootstrap.servers': bootstrap, 'message.max.bytes': 2000000, 'retries': 0})
    p.produce(topic, value=big + big[:100000], on_delivery=lambda err, msg: errors.append(err))
    p.flush(20)
    if len(errors) != 1 or errors[0] is None or errors[0].code() != KafkaError.MSG_SIZE_TOO_LARGE:
        fail('oversized message gave %r' % errors)
elif step == 'topics':
    create('ck-topics', 3)
    md = admin.list_topics(timeout=10)
    if len(md.topics['ck-topics'].partitions) != 3:
        fail('ck-topics has %d partitions' % len(md.topics['ck-topics'].partitions))
    try:
        create('bad name!')
        fail('an invalid topic name was accepted')
    except KafkaException as e:
        if e.args[0].code() != KafkaError.TOPIC_EXCEPTION:
            fail('invalid name gave %r' % e)
    try:
        create('ck-topics')
        fail('an existing topic was created again')
    except KafkaException as e:
        if e.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
            fail('existing topic gave %r' % e)
elif step == 'offsets-for-times':
    topic = 'ck-times'
    create(topic)
    produce(topic, [{'value': b'%d' % i, 'timestamp': 1600000000000 + i * 1000} for i in range(10)])
    c = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'times'})
    r = c.offsets_for_times([TopicPartition(topic, 0, 1600000000000 + 4500)], timeout=10)
    if r[0].offset != 5:
        fail('offsets_for_times gave %d, wanted 5' % r[0].offset)
    lo, hi = c.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)
    if (lo, hi) != (0, 10):
        fail('watermarks %r' % ((lo, hi),))
    c.close()
elif step == 'idempotent':
    topic = 'ck-idem'
    create(topic, 3)
    produce(topic, [{'key': b'%d' % i, 'value': b'v%d' % i} for i in range(300)], **{'enable.idempotence': True, 'acks': 'all'})
    got = consume_all(topic, 300, partitions=3)
    if sorted(m.value() for m in got) != sorted(b'v%d' % i for i in range(300)):
        fail('idempotent values differ')
elif step == 'transactions':
    # Sluice has no transactions yet: init_transactions must fail at once with a fatal error that
    # names the cause, not succeed and leave commit_transaction to time out. The 30 s given here
    # is only a bound; a retried (non-fatal) error would run it out and fail with _TIMED_OUT.
    p = Producer({'bootstrap.servers': bootstrap, 'transactional.id': 'ck-tx'})
    try:
        p.init_transactions(30)
        fail('init_transactions succeeded without transaction support')
    except KafkaException as e:
        err = e.args[0]
        if err.code() != KafkaError.TRANSACTIONAL_ID_AUTHORIZATION_FAILED or not err.fatal():
            fail('init_transactions gave %r (fatal=%s)' % (err, err.fatal()))
elif step == 'compacted-keys':
    # A compacted topic refuses keyless records with INVALID_RECORD, here in zstd batches (the
    # broker reads the keys after decompressing); keyed records go through.
    topic = 'ck-compacted'
    create(topic, config={'cleanup.policy': 'compact'})
    produce(topic, [{'key': b'k%d' % i, 'value': b'v'} for i in range(10)], **{'compression.type': 'zstd'})
    p = Producer({'bootstrap.servers': bootstrap, 'compression.type': 'zstd', 'retries': 0})
    errors = []
    p.produce(topic, value=b'no key', on_delivery=lambda err, msg: errors.append(err))
    p.flush(20)
    if len(errors) != 1 or errors[0] is None or errors[0].code() != KafkaError.INVALID_RECORD:
        fail('keyless record to a compacted topic gave %r' % errors)
elif step in ('broker-configs', 'broker-configs-persisted'):
    # Dynamic broker configs on this broker (id 0; confluent-kafka 1.7 cannot name the cluster
    # default "") apply at once to a topic without overrides, survive a restart (the second step
    # runs after one), and a static config is refused. Legacy AlterConfigs replaces the broker's
    # whole dynamic set, so both are given in one call.
    topic = 'ck-dynamic'
    broker = ConfigResource(ConfigResource.Type.BROKER, '0')
    if step == 'broker-configs':
        create(topic)
        res = ConfigResource(ConfigResource.Type.BROKER, '0',
                             set_config={'log.retention.ms': '3600000', 'log.segment.bytes': '5242880'})
        admin.alter_configs([res])[res].result(timeout=10)
        res = ConfigResource(ConfigResource.Type.BROKER, '0', set_config={'num.partitions': '7'})
        try:
            admin.alter_configs([res])[res].result(timeout=10)
            fail('a static broker config was altered')
        except KafkaException as e:
            if e.args[0].code() != KafkaError.INVALID_REQUEST:
                fail('altering num.partitions gave %r' % e)
    bcfg = admin.describe_configs([broker])[broker].result(timeout=10)
    entry = bcfg['log.retention.ms']
    if entry.value != '3600000' or entry.source != 2 or entry.is_read_only:
        fail('broker log.retention.ms: %r source %r read-only %r' % (entry.value, entry.source, entry.is_read_only))
    if not bcfg['num.partitions'].is_read_only:
        fail('num.partitions is not read-only')
    tres = ConfigResource(ConfigResource.Type.TOPIC, topic)
    tcfg = admin.describe_configs([tres])[tres].result(timeout=10)
    if tcfg['retention.ms'].value != '3600000' or tcfg['segment.bytes'].value != '5242880':
        fail('topic follows %r / %r' % (tcfg['retention.ms'].value, tcfg['segment.bytes'].value))
elif step == 'configs':
    topic = 'ck-configs'
    create(topic, config={'retention.ms': '3600000'})
    res = ConfigResource(ConfigResource.Type.TOPIC, topic)
    cfg = admin.describe_configs([res])[res].result(timeout=10)
    if cfg['retention.ms'].value != '3600000' or 'segment.bytes' not in cfg:
        fail('describe_configs: %r' % {k: v.value for k, v in cfg.items()})
    # confluent-kafka 1.7 (Debian) has no incremental_alter_configs; alter_configs replaces the
    # topic's whole dynamic config, so the retention.ms set at creation is given again.
    res2 = ConfigResource(ConfigResource.Type.TOPIC, topic, set_config={'retention.ms': '7200000'})
    admin.alter_configs([res2])[res2].result(timeout=10)
    cfg = admin.describe_configs([res])[res].result(timeout=10)
    if cfg['retention.ms'].value != '7200000':
        fail('alter not applied: %s' % cfg['retention.ms'].value)
    broker = ConfigResource(ConfigResource.Type.BROKER, '0')
    bcfg = admin.describe_configs([broker])[broker].result(timeout=10)
    if 'num.partitions' not in bcfg:
        fail('broker configs lack num.partitions')
elif step == 'delete-recreate':
    topic = 'ck-recreate'
    create(topic)
    produce(topic, [{'value': b'old'}])
    for f in admin.delete_topics([topic]).values():
        f.result(timeout=10)
    deadline = time.time() + 10
    while topic in admin.list_topics(timeout=5).topics and time.time() < deadline:
        time.sleep(0.2)
    create(topic)
    produce(topic, [{'value': b'new'}])
    got = consume_all(topic, 1)
    if got[0].value() != b'new' or got[0].offset() != 0:
        fail('recreated topic holds %r at %d' % (got[0].value(), got[0].offset()))
elif step == 'restart':
    # One producer and one group consumer live through a broker restart that the test performs
    # between 'ready' and the line it sends back: both reconnect, and nothing acknowledged is lost.
    topic = sys.argv[3]
    create(topic, 2)
    errors = []
    # A short reconnect backoff keeps the test quick; librdkafka's default backs off up to 10 s.
    quick = {'bootstrap.servers': bootstrap, 'reconnect.backoff.max.ms': 500}
    p = Producer({**quick, 'acks': 'all', 'enable.idempotence': True, 'linger.ms': 5})
    c = Consumer({**quick, 'group.id': 'g-' + topic, 'auto.offset.reset': 'earliest',
                  'auto.commit.interval.ms': 200})
    c.subscribe([topic])
    seen = set()

    def send_and_read(first, wanted):
        for i in range(first, first + 50):
            p.produce(topic, key=b'%d' % i, value=b'v%d' % i,
                      on_delivery=lambda err, msg: errors.append(err) if err else None)
        if p.flush(30) != 0 or errors:
            fail('not delivered: %d queued, errors %s' % (len(p), errors[:3]))
        deadline = time.time() + 30
        while len(seen) < wanted and time.time() < deadline:
            m = c.poll(0.2)
            if m is not None and not m.error():
                seen.add(m.value())
        if seen != set(b'v%d' % i for i in range(wanted)):
            fail('consumed %d of %d' % (len(seen), wanted))

    send_and_read(0, 50)
    print('ready', flush=True)
    sys.stdin.readline()
    send_and_read(50, 100)
    c.close()
else:
    fail('unknown step ' + step)
print('ok ' + step)
