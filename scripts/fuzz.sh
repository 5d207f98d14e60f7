#!/usr/bin/env bash
# Runs every fuzz target of the module (or of the packages given as
# arguments) for FUZZTIME each (default 30s), one target at a time as
# `go test -fuzz` requires. New crashers land in the package's
# testdata/fuzz/<Target>/ and must be committed with their fix.
set -euo pipefail

fuzztime=${FUZZTIME:-30s}
go=${GO:-go}
pkgs=("$@")
((${#pkgs[@]})) || pkgs=(./...)

# `go test -list` prints a package's matching names, then "ok <package>".
targets=()
names=()
while IFS= read -r line; do
	case $line in
	Fuzz*) names+=("$line") ;;
	ok*)
		pkg=$(awk '{print $2}' <<<"$line")
		for n in "${names[@]}"; do targets+=("$pkg $n"); done
		names=()
		;;
	FAIL*)
		echo "fuzz: listing failed: $line" >&2
		exit 1
		;;
	*) names=() ;;
	esac
done < <("$go" test -list '^Fuzz' "${pkgs[@]}")

if ((${#targets[@]} == 0)); then
	echo "fuzz: no fuzz targets in ${pkgs[*]}"
	exit 0
fi

echo "fuzz: ${#targets[@]} targets, $fuzztime each"
failed=()
for t in "${targets[@]}"; do
	read -r pkg name <<<"$t"
	echo "==> $pkg $name"
	if ! "$go" test -run='^$' -fuzz="^${name}\$" -fuzztime="$fuzztime" "$pkg"; then
		failed+=("$pkg $name")
	fi
done

echo "fuzz: $((${#targets[@]} - ${#failed[@]})) passed, ${#failed[@]} failed"
if ((${#failed[@]})); then
	printf '  failed: %s\n' "${failed[@]}" >&2
	exit 1
fi
