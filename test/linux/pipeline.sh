#!/bin/sh
# pipeline.sh DIR GENDATA: the Linux boot test's file and pipeline workload. Writes a
# 10 MiB deterministic text file into DIR (tmpfs in the guest) with the gendata program,
# runs shell pipelines of busybox applets over it and prints one "pipeline: NAME VALUE"
# line per result, then removes the file. test/linux/boot_test.py runs this very script
# with the very same busybox and gendata natively on the host (the oracle) and in the
# guest, and requires identical lines. Exit status: the number of pipelines that failed
# (any stage, thanks to pipefail), each also reported on stderr.
set -o pipefail
dir=$1
gen=$2
f=$dir/rs-pipeline.data
failed=0
broke() { echo "pipeline.sh: $1 failed (status $2)" >&2; failed=$((failed + 1)); }

"$gen" 10485760 20240501 > "$f" || broke gendata $?
r=$(wc -c -l < "$f") || broke wc $?
set -- $r
echo "pipeline: lines $1 bytes $2"
r=$(sha256sum < "$f") || broke sha256sum $?
set -- $r
echo "pipeline: sha256 $1"
# transform, sort, count duplicates, sort by count: every stage a separate process
r=$(cat "$f" | tr 'a-z' 'n-za-m' | sort | uniq -c | sort -n -k1,1 -k2 | md5sum) || broke "tr|sort|uniq|sort" $?
set -- $r
echo "pipeline: tr|sort|uniq|sort md5 $1"
r=$(grep -v 'x87' "$f" | cut -d' ' -f1,3 | sed 's/[0-9][0-9]*/N/g' | sort -u | sha256sum) || broke "grep|cut|sed|sort-u" $?
set -- $r
echo "pipeline: grep|cut|sed|sort-u sha256 $1"
r=$(awk '{ n += NF; c += length($0) } END { print n, c }' "$f") || broke awk $?
set -- $r
echo "pipeline: awk words $1 chars $2"
r=$(gzip -1 -c < "$f" | gunzip -c | cmp - "$f" && echo same) || broke "gzip|gunzip|cmp" $?
echo "pipeline: gzip|gunzip ${r:-differ}"
rm -f "$f"
exit $failed
