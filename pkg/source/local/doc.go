// Package local is the local folder source: it lists, stats and opens the
// regular files under one root folder and reports files as they are
// created or written (inotify on Linux, which also tells when a file is
// complete: closed by its writer or renamed in; fsnotify elsewhere).
//
// What the source holds:
//
//   - Regular files only. Symbolic links (to files or folders), devices,
//     sockets and pipes are not files of the source: Walk leaves them out and
//     Stat and Open report them as not existing. Walk does not descend into
//     linked folders, so a link can never lead the source outside its root.
//     WalkWithSkips (source.SkipWalker) reports each of them, with the
//     reason ("named pipe", "symbolic link to /etc/passwd, outside the
//     folder"), and each folder it has no permission to read.
//   - Any name Linux allows: line breaks, tabs, leading spaces and bytes
//     that are not UTF-8 included (every byte but NUL and '/').
//   - CheckRead (source.ReadChecker) tells whether a file can be opened for
//     reading now, without reading it.
//   - Every folder named ".filedge" is left out, at any depth: it is
//     filedge's own state folder (the embedded bus's data), which users often
//     keep beside their files. Other hidden files are ordinary files; the
//     pipeline's pattern is the place to exclude them.
//   - Paths are relative to the root and '/'-separated, exactly as Walk
//     returns them. Stat and Open refuse any other form (absolute, "..",
//     "./", empty) with ErrInvalidPath, and they resolve paths through an
//     os.Root, so not even a symbolic link inside the folder can reach a
//     file outside it.
//
// Walk keeps going past entries it cannot read (a folder without
// permission, a file removed mid-walk is simply left out) and returns the
// problems joined at the end, so one bad folder never hides the rest.
//
// The package registers the type "local" with pkg/source. Its settings
// (Config) are path, the folder, relative to the pipeline file's folder; it
// must exist and be a folder when the pipeline loads.
package local
