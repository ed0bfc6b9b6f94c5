#!/usr/bin/env bash
# Review of issue 12: reproductions that need real class and module paths (not unit tests).
# Needs: ./mvnw -B -o -q -pl core,lease,leases-sim -am package -DskipTests (jars and leases-sim/target/lib).
# Each section prints what happens; the comment above it says what should happen instead.
set -uo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"; here="$root/review/issue12"; L="$root/leases-sim/target/lib"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
core="$root/core/target/tenure-core-0.1.0-SNAPSHOT.jar"; lease="$root/lease/target/tenure-lease-0.1.0-SNAPSHOT.jar"
nosdk="$core:$lease"
for j in jackson-annotations-2.21 jackson-core-2.21.8 jackson-databind-2.21.8 slf4j-api-2.0.17 caffeine-3.2.3 jspecify-1.0.0 \
         error_prone_annotations-2.43.0 resilience4j-core-2.4.0 resilience4j-retry-2.4.0; do nosdk="$nosdk:$L/$j.jar"; done
sdk="$(ls "$L"/*.jar | grep -v -E '/(tenure-|picocli|slf4j-|jackson-|caffeine|resilience4j|jspecify|error_prone)' | tr '\n' ':')"
sdk_no_apache5="$(echo "$sdk" | tr ':' '\n' | grep -v -e apache5 -e httpclient5 -e httpcore5 | tr '\n' ':')"
q() { grep -v SLF4J | cut -c1-260; }

echo "== 1. no SDK, class path: S3Backend.open (public API) should be CONFIG naming the SDK, not NoClassDefFoundError"
javac -d "$work/nosdk" -cp "$nosdk" "$here"/src/nosdk/*.java && java -cp "$work/nosdk:$nosdk" NoSdk 2>&1 | q

echo "== 2. software.amazon.awssdk:s3 without apache5-client: should be CONFIG naming apache5-client"
java -cp "$work/nosdk:$nosdk:$sdk_no_apache5" S3Only 2>&1 | q

echo "== 3. module path: any module named dev.tenure.sim gets lease.protocol and the ledger's switches"
javac -d "$work/imp" --module-path "$nosdk" --module-source-path "$here/src/impostor" -m dev.tenure.sim 2>/dev/null \
  && java --module-path "$work/imp:$nosdk" -m dev.tenure.sim/evil.Evil 2>&1 | q

echo "== 4. module path, SDK on the module path, consumer requires dev.tenure.lease: should open (fails: jdk.net not resolved)"
javac -d "$work/s3" --module-path "$nosdk" --module-source-path "$here/src/s3mod" -m consumer.s3 2>/dev/null \
  && AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=y java --module-path "$work/s3:$nosdk:$sdk" -m consumer.s3/c.M 2>&1 | q | head -2

echo "== 5. module path, consumer requires dev.tenure.core only, SDK on the module path: says the SDK is missing"
cm="$core:$L/jackson-annotations-2.21.jar:$L/jackson-core-2.21.8.jar:$L/jackson-databind-2.21.8.jar:$L/slf4j-api-2.0.17.jar"
javac -d "$work/core" --module-path "$cm" --module-source-path "$here/src/coremod" -m consumer.core \
  && AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=y java --module-path "$work/core:$cm:$sdk" --add-modules jdk.net -m consumer.core/c.M 2>&1 | q | head -2
