#!/bin/sh
# pipeline.sh DIR GENDATA: the Linux boot test's file and pipeline workload. Writes a
# 10 MiB deterministic text file into DIR (tmpfs in the guest) with the gendata program,
# runs shell pipelines of busybox applets over it and prints one "pipeline: NAME VALUE"
# line per result, then removes the file. test/linux/boot_test.py runs this very script
# with the very same busybox and gendata natively on the host (the oracle) and in the
# guest, and requires identical lines.
set -e
dir=$1
gen=$2
f=$dir/rs-pipeline.data

"$gen" 10485760 20240501 > "$f"
set -- $(wc -c -l < "$f")
echo "pipeline: lines $1 bytes $2"
set -- $(sha256sum < "$f")
echo "pipeline: sha256 $1"
# transform, sort, count duplicates, sort by count: every stage a separate process
set -- $(cat "$f" | tr 'a-z' 'n-za-m' | sort | uniq -c | sort -n -k1,1 -k2 | md5sum)
echo "pipeline: tr|sort|uniq|sort md5 $1"
set -- $(grep -v 'x87' "$f" | cut -d' ' -f1,3 | sed 's/[0-9][0-9]*/N/g' | sort -u | sha256sum)
echo "pipeline: grep|cut|sed|sort-u sha256 $1"
set -- $(awk '{ n += NF; c += length($0) } END { print n, c }' "$f")
echo "pipeline: awk words $1 chars $2"
set -- $(gzip -1 -c < "$f" | gunzip -c | cmp - "$f" && echo same)
echo "pipeline: gzip|gunzip $1"
rm -f "$f"
