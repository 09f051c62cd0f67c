#!/bin/sh
# The Debian version of this tree, from git: a tag vX.Y.Z on HEAD gives X.Y.Z, commits after a
# tag X.Y.Z+git<date>.<sha>, no tag 0.0~git<date>.<sha> (sorts before any release); a tree with
# uncommitted changes gets +dirty. <date> is the commit's (UTC), so versions grow with history.
set -eu
sha=$(git rev-parse --short=7 HEAD)
date=$(TZ=UTC git log -1 --format=%cd --date=format-local:%Y%m%d%H%M%S HEAD)
if tag=$(git describe --tags --abbrev=0 --match 'v[0-9]*' 2>/dev/null); then
	base=${tag#v}
	if [ "$(git rev-list -n 1 "$tag")" = "$(git rev-parse HEAD)" ]; then
		version=$base
	else
		version=$base+git$date.$sha
	fi
else
	version=0.0~git$date.$sha
fi
git diff --quiet HEAD -- 2>/dev/null || version=$version+dirty
echo "$version"
