#!/usr/bin/env bash
# Regenerates the fixtures of pkg/decode that Go cannot write itself: bzip2
# (Go has no bzip2 writer), xz files as the xz command writes them (several
# blocks, several streams, padding, every check type), and files made by
# GnuPG (interoperability of the PGP layer). Everything else is made by the
# tests. Needs bzip2, xz, gpg. Run from this folder.
set -euo pipefail
printf 'id,name,amount\n1,Zoë,10.5\n2,"Smith, J",7\n3,☃,-1\n' > hello.csv
bzip2 -kc hello.csv > hello.csv.bz2
# two bzip2 streams back to back, as pbzip2 writes them
cat hello.csv.bz2 hello.csv.bz2 > twice.csv.bz2
# 64 MiB of zeros: a small bzip2 bomb
head -c 67108864 /dev/zero | bzip2 -9c > zeros.bin.bz2
mkdir -p tarsrc/dir && cp hello.csv tarsrc/dir/a.csv && cp hello.csv tarsrc/b.csv
tar -C tarsrc -cf - dir b.csv | bzip2 -c > hello.tar.bz2
rm -rf tarsrc
# xz: every check type, several blocks, several streams with padding
seq 1 20000 > seq.txt
for check in none crc32 crc64 sha256; do xz -c --check=$check seq.txt > seq-$check.txt.xz; done
xz -c --block-size=16384 seq.txt > seq-blocks.txt.xz
{ xz -c seq.txt; printf '\0\0\0\0\0\0\0\0'; xz -c seq.txt; } > seq-streams.txt.xz
# a dictionary of 192 MiB, on a small input
xz -c --lzma2=dict=192MiB seq.txt > seq-bigdict.txt.xz
rm seq.txt
# GnuPG: a key (no passphrase) encrypts and signs; a second key signs only
export GNUPGHOME=$(mktemp -d)
trap 'rm -rf "$GNUPGHOME"' EXIT
gpg --batch --passphrase '' --quick-gen-key 'filedge test <test@filedge.invalid>' ed25519 sign never
fpr=$(gpg --list-keys --with-colons test@filedge.invalid | awk -F: '/^fpr/ {print $10; exit}')
gpg --batch --passphrase '' --quick-add-key "$fpr" cv25519 encr never
gpg --batch --armor --export-secret-keys test@filedge.invalid > gnupg-secret.asc
gpg --batch --armor --export test@filedge.invalid > gnupg-public.asc
gpg --batch --yes --trust-model always -r test@filedge.invalid -u test@filedge.invalid --sign --encrypt -o hello.csv.gpg hello.csv
gpg --batch --yes --trust-model always -r test@filedge.invalid --armor --encrypt -o hello.csv.asc hello.csv
