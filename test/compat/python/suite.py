"""Drives a Sluice broker with the current Python clients from PyPI: confluent-kafka (with the
librdkafka its wheel carries, KIP-848 consumer included) and aiokafka.

Usage: .venv/bin/python suite.py BOOTSTRAP
Reads step names from stdin, one a line, and answers each with one line: 'ok <step>' or
'fail <step>: <reason>' (the traceback goes to stderr). test/compat/python.test.ts sends the
steps. Every step uses its own topics and groups, so steps are independent of each other.
"""
import asyncio
import sys
import time
import traceback
import uuid

import aiokafka
import confluent_kafka
from aiokafka.admin import AIOKafkaAdminClient, NewPartitions as AioNewPartitions, NewTopic as AioNewTopic, RecordsToDelete
from aiokafka.admin.config_resource import ConfigResource as AioConfigResource, ConfigResourceType
from aiokafka.structs import TopicPartition as AioTopicPartition
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import (AdminClient, AlterConfigOpType, ConfigEntry, ConfigResource, NewPartitions,
                                   NewTopic, OffsetSpec)
from confluent_kafka import ConsumerGroupTopicPartitions

bootstrap = sys.argv[1]
run = 'r%s-' % uuid.uuid4().hex[:6]  # unique names, so the suite can run again on one broker
CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd']


def check(ok, what):
    if not ok:
        raise AssertionError(what)


def wait(futures):
    return {k: f.result(timeout=60) for k, f in futures.items()}


admin = AdminClient({'bootstrap.servers': bootstrap})


def ck_create(topic, partitions=1):
    wait(admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)]))


def ck_read(topic, count, partitions=1):
    c = Consumer({'bootstrap.servers': bootstrap, 'group.id': run + 'reader', 'enable.auto.commit': False})
    c.assign([TopicPartition(topic, p, confluent_kafka.OFFSET_BEGINNING) for p in range(partitions)])
    out, deadline = [], time.time() + 60
    while len(out) < count and time.time() < deadline:
        m = c.poll(0.5)
        if m is None:
            continue
        check(not m.error(), 'consume error: %s' % m.error())
        out.append(m)
    c.close()
    check(len(out) == count, 'read %d of %d from %s' % (len(out), count, topic))
    return out


def ck_produce_consume():
    for codec in CODECS:
        topic = run + 'ck-' + codec
        ck_create(topic)
        p = Producer({'bootstrap.servers': bootstrap, 'enable.idempotence': True, 'compression.type': codec,
                      'linger.ms': 5})
        errors = []
        for i in range(200):
            p.produce(topic, key=b'%d' % i, value=b'%s-%d' % (codec.encode(), i), headers=[('h', b'1')],
                      on_delivery=lambda err, msg: errors.append(err) if err else None)
        check(p.flush(60) == 0 and not errors, '%s: delivery errors %s' % (codec, errors[:3]))
        for i, m in enumerate(ck_read(topic, 200)):
            check(m.offset() == i and m.value() == b'%s-%d' % (codec.encode(), i) and m.headers() == [('h', b'1')],
                  '%s: record %d is offset %d value %r' % (codec, i, m.offset(), m.value()))


def ck_group(protocol):
    topic = group = run + 'ck-group-' + protocol
    ck_create(topic, 4)
    p = Producer({'bootstrap.servers': bootstrap})
    for i in range(400):
        p.produce(topic, key=b'%d' % i, value=b'%d' % i)
    check(p.flush(60) == 0, 'unflushed records')
    conf = {'bootstrap.servers': bootstrap, 'group.id': group, 'auto.offset.reset': 'earliest',
            'enable.auto.commit': False}
    if protocol == 'consumer':
        conf['group.protocol'] = 'consumer'  # KIP-848: no session timeout or assignor on the client
    else:
        conf['session.timeout.ms'] = 30000
    members = [Consumer(conf), Consumer(conf)]
    for c in members:
        c.subscribe([topic])
    seen, held, deadline = set(), [False, False], time.time() + 120
    while not (len(seen) == 400 and all(held)):
        check(time.time() < deadline, 'read %d of 400; both held partitions: %s' % (len(seen), held))
        for i, c in enumerate(members):
            m = c.poll(0.2)
            if m is not None and not m.error():
                seen.add(m.value())
                c.commit(message=m, asynchronous=False)
            held[i] = held[i] or 0 < len(c.assignment()) < 4
    for c in members:
        c.close()
    offsets = wait(admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group)]))[group]
    total = sum(tp.offset for tp in offsets.topic_partitions if tp.offset >= 0)
    check(total == 400, 'committed offsets add up to %d, not 400' % total)
    described = wait(admin.describe_consumer_groups([group]))[group]
    want = confluent_kafka.ConsumerGroupType.CONSUMER if protocol == 'consumer' else confluent_kafka.ConsumerGroupType.CLASSIC
    check(described.type == want, 'group type %s, expected %s' % (described.type, want))


def ck_admin():
    topic, group = run + 'ck-admin', run + 'ck-admin-group'
    ck_create(topic, 1)
    wait(admin.create_partitions([NewPartitions(topic, 3)]))
    meta = admin.list_topics(topic, timeout=30)
    check(len(meta.topics[topic].partitions) == 3, 'partitions after increase')
    res = ConfigResource(ConfigResource.Type.TOPIC, topic)
    # Incremental, then the legacy AlterConfigs that replaces every dynamic config at once.
    wait(admin.incremental_alter_configs([ConfigResource(ConfigResource.Type.TOPIC, topic, incremental_configs=[
        ConfigEntry('retention.ms', '3600000', incremental_operation=AlterConfigOpType.SET)])]))
    configs = wait(admin.describe_configs([res]))[res]
    check(configs['retention.ms'].value == '3600000', 'retention.ms %s' % configs['retention.ms'].value)
    wait(admin.alter_configs([ConfigResource(ConfigResource.Type.TOPIC, topic, set_config={'segment.ms': '600000'})]))
    configs = wait(admin.describe_configs([res]))[res]
    check(configs['segment.ms'].value == '600000', 'segment.ms %s' % configs['segment.ms'].value)
    check(configs['retention.ms'].value == '604800000', 'retention.ms after legacy alter %s' % configs['retention.ms'].value)
    p = Producer({'bootstrap.servers': bootstrap})
    for i in range(10):
        p.produce(topic, value=b'x', partition=0)
    check(p.flush(60) == 0, 'unflushed records')
    deleted = wait(admin.delete_records([TopicPartition(topic, 0, 4)]))
    check(list(deleted.values())[0].low_watermark == 4, 'low watermark %s' % deleted)
    listed = wait(admin.list_offsets({TopicPartition(topic, 0): OffsetSpec.earliest()}))
    check(list(listed.values())[0].offset == 4, 'earliest after delete_records %s' % listed)
    wait(admin.alter_consumer_group_offsets([ConsumerGroupTopicPartitions(group, [TopicPartition(topic, 0, 7)])]))
    offsets = wait(admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group)]))[group]
    check([tp.offset for tp in offsets.topic_partitions if tp.partition == 0] == [7], 'offsets %s' % offsets)
    groups = admin.list_consumer_groups().result(timeout=60)
    check(group in [g.group_id for g in groups.valid], 'list_consumer_groups lacks %s' % group)
    wait(admin.delete_consumer_groups([group]))
    cluster = admin.describe_cluster().result(timeout=60)
    check(len(cluster.nodes) == 1 and cluster.controller is not None, 'cluster %s' % cluster)
    wait(admin.delete_topics([topic]))


class aio_admin_client:
    """AIOKafkaAdminClient, started and closed around a block."""

    async def __aenter__(self):
        self.adm = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await self.adm.start()
        return self.adm

    async def __aexit__(self, *exc):
        await self.adm.close()


async def aio_produce_consume():
    async with aio_admin_client() as adm:
        await adm.create_topics([AioNewTopic(run + 'aio-' + c, 1, 1) for c in CODECS])
    for codec in CODECS:
        topic = run + 'aio-' + codec
        producer = aiokafka.AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True,
                                             compression_type=None if codec == 'none' else codec, linger_ms=5)
        await producer.start()
        try:
            batch = [await producer.send(topic, key=b'%d' % i, value=b'%s-%d' % (codec.encode(), i)) for i in range(200)]
            await asyncio.gather(*batch)
        finally:
            await producer.stop()
        consumer = aiokafka.AIOKafkaConsumer(bootstrap_servers=bootstrap, auto_offset_reset='earliest',
                                             enable_auto_commit=False)
        await consumer.start()
        try:
            tp = AioTopicPartition(topic, 0)
            consumer.assign([tp])
            await consumer.seek_to_beginning(tp)
            got = []
            while len(got) < 200:
                got += (await asyncio.wait_for(consumer.getmany(timeout_ms=500), 60)).get(tp, [])
            for i, m in enumerate(got):
                check(m.offset == i and m.value == b'%s-%d' % (codec.encode(), i), '%s: record %d is %r' % (codec, i, m))
        finally:
            await consumer.stop()


async def aio_group():
    topic = group = run + 'aio-group'
    async with aio_admin_client() as adm:
        await adm.create_topics([AioNewTopic(topic, 4, 1)])
    producer = aiokafka.AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    await asyncio.gather(*[await producer.send(topic, key=b'%d' % i, value=b'%d' % i) for i in range(200)])
    await producer.stop()
    members = [aiokafka.AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group,
                                         auto_offset_reset='earliest', enable_auto_commit=False) for _ in range(2)]
    for c in members:
        await c.start()
    seen, held, deadline = set(), [False, False], time.time() + 120
    try:
        while not (len(seen) == 200 and all(held)):
            check(time.time() < deadline, 'read %d of 200; both held partitions: %s' % (len(seen), held))
            for i, c in enumerate(members):
                batch = await c.getmany(timeout_ms=200)
                for records in batch.values():
                    seen.update(m.value for m in records)
                if batch:
                    await c.commit()
                held[i] = held[i] or 0 < len(c.assignment()) < 4
    finally:
        for c in members:
            await c.stop()
    async with aio_admin_client() as adm:
        offsets = await adm.list_consumer_group_offsets(group)
    total = sum(o.offset for o in offsets.values())
    check(total == 200, 'committed offsets add up to %d, not 200' % total)


async def aio_admin():
    topic = run + 'aio-admin'
    async with aio_admin_client() as adm:
        await adm.create_topics([AioNewTopic(topic, 1, 1)])
        await adm.create_partitions({topic: AioNewPartitions(3)})
        described = await adm.describe_topics([topic])
        check(len(described[0]['partitions']) == 3, 'partitions after increase: %s' % described)
        check(topic in await adm.list_topics(), 'list_topics lacks ' + topic)
        await adm.alter_configs([AioConfigResource(ConfigResourceType.TOPIC, topic, {'retention.ms': '7200000'})])
        res = await adm.describe_configs([AioConfigResource(ConfigResourceType.TOPIC, topic)])
        entries = {e[0]: e[1] for e in res[0].resources[0][4]}
        check(entries.get('retention.ms') == '7200000', 'retention.ms %s' % entries.get('retention.ms'))
        producer = aiokafka.AIOKafkaProducer(bootstrap_servers=bootstrap)
        await producer.start()
        for _ in range(10):
            await producer.send_and_wait(topic, b'x', partition=0)
        await producer.stop()
        deleted = await adm.delete_records({AioTopicPartition(topic, 0): RecordsToDelete(before_offset=3)})
        check(list(deleted.values())[0] == 3, 'low watermark %s' % deleted)
        cluster = await adm.describe_cluster()
        check(len(cluster['brokers']) == 1, 'cluster %s' % cluster)
        await adm.delete_topics([topic])


STEPS = {
    'ck-produce-consume': ck_produce_consume,
    'ck-group-classic': lambda: ck_group('classic'),
    'ck-group-consumer': lambda: ck_group('consumer'),
    'ck-admin': ck_admin,
    'aio-produce-consume': lambda: asyncio.run(aio_produce_consume()),
    'aio-group': lambda: asyncio.run(aio_group()),
    'aio-admin': lambda: asyncio.run(aio_admin()),
}

print('ready', flush=True)
for line in sys.stdin:
    name = line.strip()
    if not name:
        continue
    try:
        if name not in STEPS:
            raise KeyError('unknown step')
        STEPS[name]()
        print('ok ' + name, flush=True)
    except Exception as e:  # every failure is the step's answer; the suite goes on
        traceback.print_exc()
        print('fail %s: %s' % (name, repr(e).replace('\n', ' ')), flush=True)
