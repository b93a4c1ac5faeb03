// Captures golden request frames from real Kafka clients into this folder, one file per client,
// API and version: `<client>.<apiKey>-<ApiName>.v<version>.bin`, holding the frame without its
// size prefix exactly as the client sent it. golden.test.ts decodes them, so the codec is checked
// against real clients' bytes even where the clients are not installed.
//
// Regenerate (kcat, /usr/bin/python3 with confluent_kafka and kafka-python, and kafkajs needed):
//   ./node_modules/.bin/bun test/protocol/golden/capture.ts

import { Producer, stringSerializers } from '@platformatic/kafka'
import { Kafka, logLevel } from 'kafkajs'
import { apiSpec } from '../../../src/protocol/index.ts'
import { startMiniBroker, type MiniBroker } from '../mini-broker.ts'

const TOPIC = 'golden-topic'
const dir = import.meta.dir

async function run(cmd: string[], stdin?: string): Promise<void> {
  const proc = Bun.spawn(cmd, {
    stdin: stdin ? 'pipe' : 'ignore',
    stdout: 'ignore',
    stderr: 'ignore',
  })
  if (stdin && proc.stdin) {
    proc.stdin.write(stdin)
    proc.stdin.end()
  }
  const timer = setTimeout(() => proc.kill(), 15000)
  await proc.exited
  clearTimeout(timer)
}

async function capture(client: string, drive: (broker: MiniBroker) => Promise<void>) {
  const broker = startMiniBroker({ topics: [TOPIC] })
  try {
    await drive(broker)
  } finally {
    broker.stop()
  }
  const seen = new Set<string>()
  for (const c of broker.captured) {
    if (c.error) continue
    const name = `${client}.${c.header.apiKey}-${apiSpec(c.header.apiKey)?.name}.v${c.header.apiVersion}.bin`
    if (seen.has(name)) continue
    seen.add(name)
    await Bun.write(`${dir}/${name}`, c.frame)
    console.log('wrote', name)
  }
}

const at = (b: MiniBroker) => `127.0.0.1:${b.port}`

await capture('kcat', async (b) => {
  await run(['kcat', '-b', at(b), '-L', '-m', '5', '-X', 'client.id=golden-kcat'])
  await run(
    ['kcat', '-b', at(b), '-P', '-t', TOPIC, '-p', '0', '-k', 'k1', '-X', 'client.id=golden-kcat'],
    'hello\n',
  )
  await run([
    'kcat',
    '-b',
    at(b),
    '-C',
    '-t',
    TOPIC,
    '-p',
    '0',
    '-o',
    'beginning',
    '-e',
    '-X',
    'client.id=golden-kcat',
  ])
})

await capture('confluent-kafka', async (b) => {
  const script = `
from confluent_kafka import Producer
p = Producer({'bootstrap.servers': '${at(b)}', 'client.id': 'golden-confluent-kafka'})
p.produce('${TOPIC}', key=b'k', value=b'v', partition=0, headers=[('h', b'1')])
p.flush(10)
`
  await run(['/usr/bin/python3', '-c', script])
})

await capture('kafka-python', async (b) => {
  const script = `
from kafka import KafkaProducer
p = KafkaProducer(bootstrap_servers='${at(b)}', client_id='golden-kafka-python')
p.send('${TOPIC}', key=b'k', value=b'v', partition=0).get(timeout=10)
p.close()
`
  await run(['/usr/bin/python3', '-c', script])
})

await capture('kafkajs', async (b) => {
  const kafka = new Kafka({
    clientId: 'golden-kafkajs',
    brokers: [at(b)],
    logLevel: logLevel.NOTHING,
  })
  const producer = kafka.producer()
  await producer.connect()
  await producer.send({ topic: TOPIC, messages: [{ key: 'k', value: 'v', partition: 0 }] })
  await producer.disconnect()
})

await capture('platformatic', async (b) => {
  const producer = new Producer({
    clientId: 'golden-platformatic',
    bootstrapBrokers: [at(b)],
    serializers: stringSerializers,
    retries: 0,
  })
  await producer.send({ messages: [{ topic: TOPIC, key: 'k', value: 'v', partition: 0 }] })
  await producer.close()
})
