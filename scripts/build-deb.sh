#!/bin/bash
# make deb: build the Debian package into OUTDIR (build/deb).
#
# dpkg-buildpackage wants debian/ at the top of the source tree and writes its work there
# (debian/vigil/, debian/files, debhelper logs). The sources stay in packaging/debian/ and a
# copy of the tree is assembled in OUTDIR/vigil-<version>/ with it as debian/: the repository
# gets no generated files, and the package is built from scratch, as a buildd would, from
# the working tree's sources: what git tracks or would (edits and new files included, nothing
# it ignores, such as build/).
set -euo pipefail
out=$1
version=$(scripts/deb-version.sh)
src=$out/vigil-$version
rm -rf "$out"
mkdir -p "$src"
git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
	if [ -e "$f" ]; then # not one deleted in the working tree
		cp --parents "$f" "$src"
	fi
done
cp -r packaging/debian "$src/debian"
# a changelog entry for this version, dated now, from the latest commit's subject
cat >"$src/debian/changelog" <<EOT
vigil ($version) unstable; urgency=medium

  * Built from git commit $(git rev-parse --short=12 HEAD): $(git log -1 --format=%s | cut -c1-40)

 -- $(sed -n 's/^Maintainer: //p' packaging/debian/control)  $(date -R)
EOT
(cd "$src" && DEB_BUILD_OPTIONS="parallel=2 ${DEB_BUILD_OPTIONS:-}" \
	dpkg-buildpackage -b -us -uc)
deb=$out/vigil_${version}_amd64.deb
test -f "$deb"
echo "deb: $deb"
