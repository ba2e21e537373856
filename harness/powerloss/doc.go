// Package powerloss serves a FUSE file system that forgets, on a simulated
// power cut, everything an application did not make durable.
//
// A container kill leaves the host's page cache alone, so data that was
// written but never fsynced survives it. Only a power cut shows whether an
// acknowledged write was on disk. A Volume is mounted on the engine's host
// over a folder of the real disk and bind-mounted into containers; Cut
// plays the power cut once the containers are gone, and the next
// container sees what a rebooted disk would hold.
//
// # Durability model
//
// The file system keeps two states of every inode: the live one, which
// every system call sees, and the durable one, which a cut leaves. Both
// are kept by inode, not by path, so that what was made durable for a file
// stays with that file whatever its name becomes. Inode numbers are never
// reused.
//
// Bytes. A write, a truncate (including open with O_TRUNC), an fallocate
// (allocating, punching a hole, zeroing a range) and the write-back of a
// shared writable mapping change only the live bytes of a file. Its bytes
// and size become durable when the file is fsynced: fsync(2), fdatasync(2)
// (treated alike) or msync(2) with MS_SYNC, which the kernel turns into a
// write-back then an fsync. Bytes of one file are never made durable by
// anything done to another.
//
// Names. Creating (a file, folder, symbolic link, device or FIFO), linking,
// renaming, unlinking and removing a folder change only the live entries
// of folders. In the default mode, any fsync of anything, file or folder,
// commits every pending name and attribute of the whole volume (but no
// other file's bytes): ext4 with data=ordered behaves so in practice, its
// journal committing all pending metadata with the fsync. With
// Options.Strict, only an fsync of a folder commits names, those of that
// folder alone: the POSIX minimum. A rename within one folder is committed
// whole by that folder's fsync. A rename across folders is committed whole
// by an fsync of the destination folder, which takes the old name away as
// it adds the new one; an fsync of the source folder alone keeps the old
// name until then. An exchange (renameat2 with RENAME_EXCHANGE) is
// committed whole by an fsync of either folder. A name committed in a
// folder whose own name is not durable is unreachable after a cut, as on a
// disk.
//
// Attributes. chmod, chown and utimes change attributes, which are
// metadata: an fsync of the inode itself commits them, and in the default
// mode so does any fsync. An inode reaches the durable state with the
// attributes it has when its name or its bytes are first committed. A file
// whose name is committed before its bytes are is empty after a cut (the
// zero-length file of a rename without fsync). ext4's auto_da_alloc, which
// flushes a file replacing another by rename, is not modelled: such a
// replace loses its bytes here, as it may on other file systems.
//
// Not reached. sync(2) and syncfs(2) make nothing durable: the kernel
// (checked on Linux 6.18) sends FUSE_SYNCFS only to virtiofs, never to a
// /dev/fuse server, and writes back only dirty pages of mappings, which
// arrive as ordinary writes. close(2) makes nothing durable either.
//
// # Cut and tear
//
// Cut unmounts the volume, throws away every live change not durable,
// deletes inodes the durable root no longer reaches (as fsck would), and
// mounts again at the same path, so that no kernel cache remembers the
// state before. Processes must be gone first; the mount of a container
// that was killed but not removed does not stand in the way.
//
// With tear, the last unsynced write is torn rather than dropped: its first
// half, rounded up, at least one byte, becomes durable at its offset in its
// file, and everything else pending is dropped. The last write is the
// latest run of writes to one file, each starting where the previous one
// ended, made since that file's last fsync: a large write the kernel
// splits, or a series of appends, counts as one. A truncate shortens the
// run; an fsync of the file ends it. The file must have a durable inode
// for its torn bytes to land anywhere. The result is the file an
// application finds after a power cut in the middle of writing back a
// record: every synced byte, then part of what came next.
//
// # State on disk
//
// The durable state lives under the folder given to Mount and outlives
// the process: a snapshot of every inode, a journal of the commits since,
// and one file per regular file holding its durable bytes. Pending changes
// live in memory only, so a process that dies loses them, as a machine
// does. Mount of a folder used before shows its durable state. Close is a
// clean shutdown: it makes everything pending durable first, as unmounting
// a disk writes back what it holds.
//
// # Mount
//
// Volumes are mounted directly with mount(2), as root (there is no
// fusermount), with allow_other and default_permissions: processes of any
// user reach them, the kernel checks permissions against the mode bits,
// and root may do anything. The mount source names the serving process,
// so that Sweep can unmount what a process that died left behind.
package powerloss
