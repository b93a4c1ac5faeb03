// Where the Java suites find Apache Kafka's jars: scripts/setup.sh --clients resolves the pinned
// release (test/compat/java/pom.xml) into Maven's local repository, writes the classpath to
// test/compat/java/target/classpath.txt and compiles the suite's program beside it.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

export const javaDir = join(import.meta.dir, 'java')
const classpathFile = join(javaDir, 'target/classpath.txt')
const classesDir = join(javaDir, 'target/classes')

/** The pinned Kafka release, read from the pom so that it is written down once. */
export const kafkaVersion =
  readFileSync(join(javaDir, 'pom.xml'), 'utf8').match(/<kafka\.version>([^<]+)</)?.[1] ?? '?'

/** Why the Java suites cannot run here, or null when they can. */
export const javaMissing: string | null = !existsSync(classpathFile)
  ? 'Kafka jars not resolved: run scripts/setup.sh --clients'
  : !existsSync(join(classesDir, 'SluiceCompat.class'))
    ? 'the Java suite is not compiled: run scripts/setup.sh --clients'
    : null

export const kafkaClasspath = (): string => readFileSync(classpathFile, 'utf8').trim()

/**
 * `java` with Kafka's jars (and the suite's classes) on the classpath. kafka-run-class.sh gives its
 * tools -Xmx256M; Streams' RocksDB wants a little more. Only the first JIT tier: these programs
 * are short, and start faster on a loaded machine without the optimising compiler's work.
 */
export const javaCommand = (mainClass: string, args: string[]): string[] => [
  'java',
  '-Xmx512m',
  '-XX:TieredStopAtLevel=1',
  // One GC thread: these are short-lived tools and tests, and G1's threads compete for the
  // machine's two cores with the broker under test.
  '-XX:+UseSerialGC',
  '-Djava.awt.headless=true',
  '-cp',
  `${classesDir}:${kafkaClasspath()}`,
  mainClass,
  ...args,
]
