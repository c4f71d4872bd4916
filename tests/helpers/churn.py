#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Seeded random churn on a source tree, and a tree comparator.

Used by tests/integration/churn.sh; Python 3 standard library only.  Every
path is bytes (os.fsencode), so any name works.

  churn.py populate --seed N --src SRC --outside OUT
      A starting tree in SRC (and things to move in later in OUT), from the
      seed alone.

  churn.py run --seed N --src SRC --outside OUT --log OPLOG [--ops 150]
               [--ops-exclude KIND,...] [--ops-only KIND,...]
               [--done FILE --stop FILE]
      N random changes in SRC (and OUT, outside the tree, on the same file
      system, for moves in and out), one line per change in OPLOG.  The
      choices depend on the seed and on the tree alone (sorted listings,
      random.Random(seed)), never on timing: the same seed replays the same
      changes.  With --done, FILE is written once the changes are made and
      the files still held open (kind open_hold) stay open, written to since
      their last write, until FILE given as --stop exists (or 10 minutes
      passed): a flush and a comparison can run meanwhile.

  churn.py cmp SRC MIRROR [--max 40] [--paths FILE]
      Compare two trees without following symlinks: the names, the type,
      the permission bits (st_mode & 0o7777) of files and directories (not
      of the root, not of symlinks), file contents byte for byte, symlink
      targets.  Prints up to --max differences, exits 1 if there is any.
      --paths writes the differing paths (relative, Python bytes literals),
      one a line, for `history`.

  churn.py history OPLOG --paths FILE [--max 12]
      For each path in FILE, the op log lines that name it, an ancestor or a
      descendant of it: which changes made the difference.

  churn.py kinds
      The op kinds, their weights and the groups --ops-exclude accepts.

One documented limit is respected: a write, truncate or chmod through one
name of a file with several hard links changes the other names without an
inotify event for them, so no such change is ever made to a path (or an
open file) whose st_nlink > 1, nor through an open file whose name was
unlinked while another name keeps it (a link() then unlink() of it).
"""

import argparse
import ast
import os
import random
import re
import shutil
import stat
import sys
import time

# kind -> weight.  Every enabled kind also runs at least once per seed (the
# last ops go to kinds not yet run), so every seed covers every kind.
KINDS = {
    # file contents
    'create': 10,         # new file, 0 to 64 KiB, some empty
    'append': 6,
    'rewrite_same': 6,    # same size, other bytes, often within the second
    'truncate': 3,        # os.truncate by path: IN_MODIFY only, no close
    'atomic_save': 5,     # temp file + rename over (or to a new name)
    # renames and moves
    'rename_file': 4,
    'rename_over': 3,     # a file renamed over another existing file
    'rename_dir': 3,      # a directory to a new name (maybe elsewhere)
    'rename_dir_over': 2,  # a directory over an existing empty directory
    'move_in': 3,         # a file or subtree from OUTSIDE into the tree
    'move_out': 3,        # a file or subtree from the tree to OUTSIDE
    'dir_in_out': 1.5,    # rename(d, e), files into e, 20 ms, rename(e, OUTSIDE)
    # deletions and type changes
    'rm_file': 3,
    'rmtree': 2,
    'dir_to_file': 1.5,
    'file_to_dir': 1.5,
    'mkdir_p': 3,
    'burst': 1,           # 20 to 200 small files in a new directory
    # links
    'symlink': 3,         # relative, dangling, absolute, to a directory
    'symlink_retarget': 2,  # new symlink + rename over the old one
    'hardlink': 2,        # os.link to a new name
    'link_unlink': 2,     # os.link(a, b); os.unlink(a) (git, maildir)
    # permissions
    'chmod_file': 3,
    'chmod_dir': 2,
    # names
    'hostile': 2,         # the next hostile name of the list, file or dir
    # files kept open
    'open_hold': 2,       # open for writing, write, keep the fd
    'open_write': 4,      # write through a held fd
    'open_close': 1.5,    # close a held fd
}

# Names for --ops-exclude / --ops-only besides the kinds themselves.
GROUPS = {
    'open': ['open_hold', 'open_write', 'open_close'],
    'links': ['symlink', 'symlink_retarget', 'hardlink', 'link_unlink'],
    'moves': ['rename_file', 'rename_over', 'rename_dir', 'rename_dir_over',
              'move_in', 'move_out', 'dir_in_out'],
    'chmod': ['chmod_file', 'chmod_dir'],
    # The kinds that exercised the bugs this test was written for (all
    # fixed): link()+unlink() of a new name; a file written but never
    # closed (held open, or truncated by path); a directory moved in and out
    # at once; -u skipping an older file renamed over a newer one.
    'known': ['link_unlink', 'open_hold', 'open_write', 'open_close', 'truncate',
              'dir_in_out', 'rename_over'],
    # A directory moved inside the tree: syncd's link pass (--link-dest from
    # the old copy on the mirror), which this test found to lose changes made
    # under the new name while it ran, to leave stale entries in a directory
    # renamed over one, and to keep a same-size rewrite's old data (fixed).
    'linkpass': ['rename_dir', 'rename_dir_over'],
}

HOSTILE = [
    b'with space', b' leading space', b'trailing space ', b'tab\there',
    b'new\nline', b'\nstarts-with-newline', b'-', b'-rf', b'--delete',
    b'-e touch CANARY_e', b'$(touch CANARY_x)', b'`touch CANARY_y`',
    b'a"b', b"a'b", b'back\\slash', b'#hash', b';semicolon', b'\xff\xfe',
    b'caf\xc3\xa9-\xe2\x98\x83', b'*', b'?', b'[ab]', b'.hidden', b'...',
    b'a:b', b'host:path', b'%s%n', b'\x01ctrl', b'L' * 230,
    b'long ' + b'x' * 240,
]

FILE_MODES = [0o600, 0o640, 0o644, 0o700, 0o755, 0o444, 0o664, 0o400]
DIR_MODES = [0o700, 0o750, 0o755, 0o775, 0o711, 0o777]

MAX_REL = 1500      # bytes of a path relative to SRC
MAX_DEPTH = 7
MAX_HELD = 6


def q(p):
    """A path as it appears in the op log."""
    return repr(p)


class Gen:
    def __init__(self, src, outside, seed, log=None):
        self.src = os.fsencode(os.path.abspath(src))
        self.out = os.fsencode(os.path.abspath(outside))
        self.rng = random.Random(seed)
        self.seed = seed
        self.counter = 0
        self.hostile_next = 0
        self.held = []          # [fd, rel-at-open, opened with O_APPEND]
        self.recent = []        # files written lately (same-second rewrites)
        self._scan = None
        self.log_f = log
        self.t0 = time.monotonic()
        self.opno = 0
        self.counts = {}

    # ------------------------------------------------------------ helpers
    def sp(self, rel):
        return os.path.join(self.src, rel) if rel else self.src

    def op(self, p):
        return os.path.join(self.out, p)

    def log(self, kind, text):
        if self.log_f:
            self.log_f.write('%04d %7.3f %-16s %s\n' % (
                self.opno, time.monotonic() - self.t0, kind, text))
            self.log_f.flush()

    def note(self, text):
        if self.log_f:
            self.log_f.write('     %7.3f   %s\n' % (time.monotonic() - self.t0, text))
            self.log_f.flush()

    def dirty(self):
        self._scan = None

    def scan(self):
        """Sorted listing of SRC: (dirs incl. b'', regular files, symlinks)."""
        if self._scan is None:
            dirs, files, links = [b''], [], []

            def rec(rel):
                for name in sorted(os.listdir(self.sp(rel))):
                    r = rel + b'/' + name if rel else name
                    m = os.lstat(self.sp(r)).st_mode
                    if stat.S_ISDIR(m):
                        dirs.append(r)
                        rec(r)
                    elif stat.S_ISREG(m):
                        files.append(r)
                    elif stat.S_ISLNK(m):
                        links.append(r)
            rec(b'')
            self._scan = (dirs, files, links)
        return self._scan

    def outside_entries(self):
        return sorted(os.listdir(self.out))

    def uniq(self):
        self.counter += 1
        return self.counter

    def rand_plain_name(self, prefix=b'f'):
        c = self.uniq()
        words = [b'a', b'data', b'img', b'x', b'index', b'log', b'tmp', b'cfg', b'Z']
        return prefix + self.rng.choice(words) + b'%d' % c

    def new_name(self, parent, prefix=b'f', hostile_p=0.12):
        """A name that does not exist in parent (a SRC rel dir)."""
        r = self.rng.random()
        if r < hostile_p:
            base = self.rng.choice(HOSTILE)
        elif r < hostile_p + 0.03:
            base = b'long-' + b'n' * self.rng.randint(195, 240)
        else:
            base = self.rand_plain_name(prefix)
        name = base
        if os.path.lexists(self.sp(self.join(parent, name))):
            name = base[:240] + b'.%d' % self.uniq()
        return name

    @staticmethod
    def join(parent, name):
        return parent + b'/' + name if parent else name

    @staticmethod
    def parent_of(rel):
        i = rel.rfind(b'/')
        return rel[:i] if i >= 0 else b''

    @staticmethod
    def under(p, d):
        """p is d or below d (rel paths)."""
        return p == d or (d == b'' or p.startswith(d + b'/'))

    def content(self):
        r = self.rng.random()
        if r < 0.15:
            n = 0
        elif r < 0.6:
            n = self.rng.randint(1, 1024)
        elif r < 0.9:
            n = self.rng.randint(1025, 16384)
        else:
            n = self.rng.randint(16385, 65536)
        return self.rng.randbytes(n)

    def write_new(self, path, data, mode=0o644):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)

    def pick(self, seq):
        return self.rng.choice(seq) if seq else None

    def pick_dir(self, room=0, exclude_under=None):
        """A dir for a new entry: depth and length budget, not below exclude_under."""
        dirs = [d for d in self.scan()[0]
                if d.count(b'/') + (1 if d else 0) < MAX_DEPTH
                and len(d) + room < MAX_REL - 260
                and (exclude_under is None or not self.under(d, exclude_under))]
        return self.pick(dirs)

    def writable_file(self, f):
        """f is a regular file we may write, truncate or chmod: one link only."""
        try:
            st = os.lstat(self.sp(f))
        except FileNotFoundError:
            return None
        if not stat.S_ISREG(st.st_mode) or st.st_nlink != 1:
            return None
        if os.geteuid() != 0 and not st.st_mode & 0o200:
            return None
        return st

    def pick_writable(self, candidates=None, nonempty=False):
        cands = list(self.scan()[1] if candidates is None else candidates)
        for _ in range(12):
            if not cands:
                return None, None
            f = self.rng.choice(cands)
            st = self.writable_file(f)
            if st is not None and (not nonempty or st.st_size > 0):
                return f, st
            cands.remove(f)
        return None, None

    def remember(self, f):
        if f in self.recent:
            self.recent.remove(f)
        self.recent.append(f)
        del self.recent[:-8]

    def subtree_room(self, d):
        """Longest rel path below d minus len(d)."""
        m = 0
        dirs, files, links = self.scan()
        for p in dirs + files + links:
            if p.startswith(d + b'/'):
                m = max(m, len(p) - len(d))
        return m

    def subtree_depth(self, d):
        m = 0
        dirs, files, links = self.scan()
        for p in dirs + files + links:
            if p.startswith(d + b'/'):
                m = max(m, p[len(d):].count(b'/'))
        return m

    def fd_path(self, fd):
        try:
            p = os.readlink(b'/proc/self/fd/%d' % fd)
        except OSError:
            return '?'
        gone = ''
        if p.endswith(b' (deleted)') and not os.path.lexists(p):
            p, gone = p[:-10], ' (deleted)'
        if p.startswith(self.src + b'/'):
            return q(p[len(self.src) + 1:]) + gone
        if p.startswith(self.out + b'/'):
            return 'OUT:' + q(p[len(self.out) + 1:]) + gone
        return q(p) + gone

    # ---------------------------------------------------------- the kinds
    def k_create(self):
        parent = self.pick_dir()
        if parent is None:
            return False
        name = self.new_name(parent)
        f = self.join(parent, name)
        data = self.content()
        self.write_new(self.sp(f), data)
        self.remember(f)
        self.log('create', '%s %d bytes' % (q(f), len(data)))
        return True

    def k_append(self):
        f, st = self.pick_writable()
        if f is None:
            return False
        data = self.rng.randbytes(self.rng.randint(1, 4096))
        with open(self.sp(f), 'ab') as fh:
            fh.write(data)
        self.remember(f)
        self.log('append', '%s +%d bytes (now %d)' % (q(f), len(data), st.st_size + len(data)))
        return True

    def k_rewrite_same(self):
        f = st = None
        if self.recent and self.rng.random() < 0.6:
            f, st = self.pick_writable(
                [r for r in self.recent if os.path.lexists(self.sp(r))], nonempty=True)
        if f is None:
            f, st = self.pick_writable(nonempty=True)
        if f is None:
            return False
        with open(self.sp(f), 'rb') as fh:
            old = fh.read()
        data = self.rng.randbytes(len(old))
        if data == old:
            data = bytes([data[0] ^ 0xff]) + data[1:]
        fd = os.open(self.sp(f), os.O_WRONLY)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)
        same_sec = int(st.st_mtime) == int(os.lstat(self.sp(f)).st_mtime)
        self.remember(f)
        self.log('rewrite_same', '%s %d bytes%s' % (
            q(f), len(data), ' (same second as its last write)' if same_sec else ''))
        return True

    def k_truncate(self):
        f, st = self.pick_writable()
        if f is None:
            return False
        size = st.st_size
        choices = [0, size // 2, size + self.rng.randint(1, 1000)]
        n = self.rng.choice([c for c in choices if c != size])
        os.truncate(self.sp(f), n)
        self.remember(f)
        self.log('truncate', '%s %d -> %d bytes' % (q(f), size, n))
        return True

    def k_atomic_save(self):
        dirs, files, _ = self.scan()
        target = None
        if files and self.rng.random() < 0.75:
            target = self.rng.choice(files)
        else:
            parent = self.pick_dir()
            if parent is None:
                return False
            target = self.join(parent, self.new_name(parent))
        parent = self.parent_of(target)
        tmp = self.join(parent, b'.%d.swp~' % self.uniq())
        data = self.content()
        self.write_new(self.sp(tmp), data, 0o644)
        os.rename(self.sp(tmp), self.sp(target))
        self.remember(target)
        self.log('atomic_save', '%s via %s, %d bytes' % (q(target), q(tmp), len(data)))
        return True

    def k_rename_file(self):
        dirs, files, links = self.scan()
        a = self.pick(files + links)
        if a is None:
            return False
        parent = self.pick_dir(room=0)
        if parent is None:
            return False
        b = self.join(parent, self.new_name(parent))
        os.rename(self.sp(a), self.sp(b))
        self.log('rename_file', '%s -> %s' % (q(a), q(b)))
        return True

    def k_rename_over(self):
        files = self.scan()[1]
        if len(files) < 2:
            return False
        a, b = self.rng.sample(files, 2)
        if os.lstat(self.sp(a)).st_ino == os.lstat(self.sp(b)).st_ino:
            return False    # two names of one file: rename() does nothing
        os.rename(self.sp(a), self.sp(b))
        self.log('rename_over', '%s -> %s (replaced)' % (q(a), q(b)))
        return True

    def k_rename_dir(self):
        dirs = self.scan()[0][1:]
        d = self.pick(dirs)
        if d is None:
            return False
        room = self.subtree_room(d) + 1
        depth = self.subtree_depth(d)
        cands = [p for p in self.scan()[0]
                 if not self.under(p, d) and len(p) + room < MAX_REL - 260
                 and p.count(b'/') + (1 if p else 0) + depth < MAX_DEPTH + 2]
        parent = self.pick(cands)
        if parent is None:
            return False
        e = self.join(parent, self.new_name(parent, b'd'))
        os.rename(self.sp(d), self.sp(e))
        self.log('rename_dir', '%s -> %s' % (q(d), q(e)))
        return True

    def k_rename_dir_over(self):
        dirs = self.scan()[0][1:]
        d = self.pick(dirs)
        if d is None:
            return False
        room = self.subtree_room(d) + 1
        empties = [e for e in dirs
                   if e != d and not self.under(e, d) and not self.under(d, e)
                   and len(e) + room < MAX_REL and not os.listdir(self.sp(e))]
        made = ''
        if empties and self.rng.random() < 0.8:
            e = self.rng.choice(empties)
        else:
            parent = self.pick_dir(room=room, exclude_under=d)
            if parent is None:
                return False
            e = self.join(parent, self.new_name(parent, b'e'))
            os.mkdir(self.sp(e))
            made = ' (made just before)'
        os.rename(self.sp(d), self.sp(e))
        self.log('rename_dir_over', '%s -> %s, an empty directory%s' % (q(d), q(e), made))
        return True

    def make_outside(self):
        """A fresh file, symlink or small subtree in OUTSIDE; its name."""
        name = b'o%d' % self.uniq()
        p = self.op(name)
        r = self.rng.random()
        if r < 0.45:
            self.write_new(p, self.content())
        elif r < 0.55:
            os.symlink(self.rng.choice([b'../elsewhere', b'/etc/hostname', b'x y']), p)
        else:
            os.mkdir(p)
            for _ in range(self.rng.randint(0, 6)):
                sub = p
                for _ in range(self.rng.randint(0, 2)):
                    sub = os.path.join(sub, b's%d' % self.rng.randint(1, 3))
                    os.makedirs(sub, exist_ok=True)
                name2 = self.rng.choice([b'n%d' % self.uniq(), self.rng.choice(HOSTILE)])
                fp = os.path.join(sub, name2)
                if not os.path.lexists(fp):
                    self.write_new(fp, self.content())
            if self.rng.random() < 0.3:
                os.chmod(p, self.rng.choice(DIR_MODES))
        self.note('prepared OUT:%s (outside the tree)' % q(name))
        return name

    def k_move_in(self):
        ents = self.outside_entries()
        if not ents or self.rng.random() < 0.5:
            name = self.make_outside()
        else:
            name = self.rng.choice(ents)
        room = 0
        walk_top = self.op(name) if stat.S_ISDIR(os.lstat(self.op(name)).st_mode) else b'/nonexistent'
        for dp, dn, fn in os.walk(walk_top):
            for n in dn + fn:
                room = max(room, len(os.path.join(dp, n)) - len(self.out))
        parent = self.pick_dir(room=room + 10)
        if parent is None:
            return False
        dest = self.join(parent, self.new_name(parent, b'in'))
        os.rename(self.op(name), self.sp(dest))
        self.log('move_in', 'OUT:%s -> %s' % (q(name), q(dest)))
        return True

    def k_move_out(self):
        dirs, files, links = self.scan()
        a = self.pick(dirs[1:] + files + links)
        if a is None:
            return False
        name = b'out%d' % self.uniq()
        os.rename(self.sp(a), self.op(name))
        self.log('move_out', '%s -> OUT:%s' % (q(a), q(name)))
        return True

    def k_dir_in_out(self):
        dirs = self.scan()[0][1:]
        d = self.pick(dirs)
        if d is None:
            return False
        room = self.subtree_room(d) + 40
        parent = self.pick_dir(room=room, exclude_under=d)
        if parent is None:
            return False
        e = self.join(parent, self.new_name(parent, b'e'))
        os.rename(self.sp(d), self.sp(e))
        added = []
        for _ in range(self.rng.randint(1, 4)):
            n = b'added%d' % self.uniq()
            self.write_new(self.sp(self.join(e, n)), self.content())
            added.append(n)
        time.sleep(0.02)
        name = b'gone%d' % self.uniq()
        os.rename(self.sp(e), self.op(name))
        self.log('dir_in_out', '%s -> %s, added %s, 20 ms, -> OUT:%s' % (
            q(d), q(e), ' '.join(q(a) for a in added), q(name)))
        return True

    def k_rm_file(self):
        dirs, files, links = self.scan()
        a = self.pick(files + links)
        if a is None:
            return False
        os.unlink(self.sp(a))
        self.log('rm_file', q(a))
        return True

    def k_rmtree(self):
        d = self.pick(self.scan()[0][1:])
        if d is None:
            return False
        shutil.rmtree(self.sp(d))
        self.log('rmtree', q(d))
        return True

    def k_dir_to_file(self):
        d = self.pick(self.scan()[0][1:])
        if d is None:
            return False
        shutil.rmtree(self.sp(d))
        data = self.content()
        self.write_new(self.sp(d), data)
        self.log('dir_to_file', '%s now a file of %d bytes' % (q(d), len(data)))
        return True

    def k_file_to_dir(self):
        f = self.pick(self.scan()[1])
        if f is None or f.count(b'/') >= MAX_DEPTH - 1 or len(f) > MAX_REL - 260:
            return False
        os.unlink(self.sp(f))
        os.mkdir(self.sp(f))
        n = self.rng.randint(0, 3)
        for _ in range(n):
            self.write_new(self.sp(self.join(f, b'c%d' % self.uniq())), self.content())
        self.log('file_to_dir', '%s now a directory with %d files' % (q(f), n))
        return True

    def k_mkdir_p(self):
        levels = self.rng.randint(2, 5)
        parent = self.pick_dir(room=levels * 12)
        if parent is None:
            return False
        p = parent
        for i in range(levels):
            p = self.join(p, b'm%d' % self.uniq() if i else self.new_name(p, b'm', 0.05))
        os.makedirs(self.sp(p))
        extra = ''
        if self.rng.random() < 0.7:
            f = self.join(p, b'leaf%d' % self.uniq())
            self.write_new(self.sp(f), self.content())
            extra = ' + file %s' % q(f)
        self.log('mkdir_p', q(p) + extra)
        return True

    def symlink_target(self, parent):
        dirs, files, links = self.scan()
        r = self.rng.random()
        if r < 0.35 and files:
            t = os.path.relpath(self.rng.choice(files), parent or b'.')
        elif r < 0.55 and len(dirs) > 1:
            t = os.path.relpath(self.rng.choice(dirs[1:]), parent or b'.')
        elif r < 0.75:
            t = self.rng.choice([b'does-not-exist', b'../../nowhere/x', b'dangling %d' % self.uniq(),
                                 b'-rf', b'$(touch CANARY_l)', b'new\nline', b'\xff'])
        else:
            t = self.rng.choice([b'/etc/hostname', b'/nonexistent/abs/path', b'/tmp', b'/'])
        return t

    def k_symlink(self):
        parent = self.pick_dir()
        if parent is None:
            return False
        name = self.join(parent, self.new_name(parent, b'l'))
        t = self.symlink_target(parent)
        os.symlink(t, self.sp(name))
        self.log('symlink', '%s -> target %s' % (q(name), q(t)))
        return True

    def k_symlink_retarget(self):
        l = self.pick(self.scan()[2])
        if l is None:
            return False
        parent = self.parent_of(l)
        t = self.symlink_target(parent)
        tmp = self.join(parent, b'.lnk%d' % self.uniq())
        os.symlink(t, self.sp(tmp))
        os.rename(self.sp(tmp), self.sp(l))
        self.log('symlink_retarget', '%s -> target %s (via %s)' % (q(l), q(t), q(tmp)))
        return True

    def k_hardlink(self):
        a = self.pick(self.scan()[1])
        parent = self.pick_dir()
        if a is None or parent is None:
            return False
        b = self.join(parent, self.new_name(parent, b'h'))
        os.link(self.sp(a), self.sp(b))
        self.log('hardlink', '%s as new name %s' % (q(a), q(b)))
        return True

    def k_link_unlink(self):
        a = self.pick(self.scan()[1])
        parent = self.pick_dir()
        if a is None or parent is None:
            return False
        b = self.join(parent, self.new_name(parent, b'mv'))
        os.link(self.sp(a), self.sp(b))
        os.unlink(self.sp(a))
        self.log('link_unlink', 'link %s -> %s, unlink %s' % (q(a), q(b), q(a)))
        return True

    def k_chmod_file(self):
        f, st = self.pick_writable()
        if f is None:
            return False
        old = stat.S_IMODE(st.st_mode)
        mode = self.rng.choice([m for m in FILE_MODES if m != old])
        os.chmod(self.sp(f), mode)
        self.log('chmod_file', '%s %04o -> %04o' % (q(f), old, mode))
        return True

    def k_chmod_dir(self):
        d = self.pick(self.scan()[0][1:])
        if d is None:
            return False
        old = stat.S_IMODE(os.lstat(self.sp(d)).st_mode)
        mode = self.rng.choice([m for m in DIR_MODES if m != old])
        os.chmod(self.sp(d), mode)
        self.log('chmod_dir', '%s %04o -> %04o' % (q(d), old, mode))
        return True

    def k_burst(self):
        parent = self.pick_dir(room=40)
        if parent is None:
            return False
        d = self.join(parent, self.new_name(parent, b'burst', 0.1))
        os.mkdir(self.sp(d))
        n = self.rng.randint(20, 200)
        for i in range(n):
            self.write_new(self.sp(self.join(d, b'b%03d' % i)),
                           self.rng.randbytes(self.rng.randint(0, 2048)))
        self.log('burst', '%s with %d files' % (q(d), n))
        return True

    def k_hostile(self):
        base = HOSTILE[self.hostile_next % len(HOSTILE)]
        self.hostile_next += 1
        parent = self.pick_dir(room=len(base) + 10)
        if parent is None:
            return False
        name = base
        if os.path.lexists(self.sp(self.join(parent, name))):
            name = base[:240] + b'.%d' % self.uniq()
        p = self.join(parent, name)
        if self.rng.random() < 0.3:
            os.mkdir(self.sp(p))
            inner = self.join(p, self.rng.choice(HOSTILE))
            self.write_new(self.sp(inner), self.content())
            self.log('hostile', 'dir %s with file %s' % (q(p), q(inner)))
        else:
            data = self.content()
            self.write_new(self.sp(p), data)
            self.log('hostile', 'file %s %d bytes' % (q(p), len(data)))
        return True

    def hold_open(self, kind, new):
        f = None
        if not new:
            f, _ = self.pick_writable()
        if f is None:
            parent = self.pick_dir()
            if parent is None:
                return False
            f = self.join(parent, self.new_name(parent, b'open'))
            flags, how = os.O_CREAT | os.O_EXCL, 'new file'
        else:
            flags, how = 0, 'existing file'
        append = self.rng.random() < 0.5
        if append:
            flags |= os.O_APPEND
            how += ' for append'
        fd = os.open(self.sp(f), os.O_WRONLY | flags, 0o644)
        data = self.rng.randbytes(self.rng.randint(1, 3000))
        os.lseek(fd, 0, os.SEEK_END)
        os.write(fd, data)
        self.held.append([fd, f, append])
        self.log(kind, '%s %s opened (fd %d), +%d bytes, kept open' % (how, q(f), fd, len(data)))
        return True

    def k_open_hold(self):
        if len(self.held) >= MAX_HELD:
            return False
        return self.hold_open('open_hold', self.rng.random() < 0.5)

    def write_held(self, kind, h):
        fd, f, append = h
        st = os.fstat(fd)
        if st.st_nlink > 1:
            return False    # the other names would change without an event
        if st.st_nlink == 1 and self.fd_path(fd).endswith(' (deleted)'):
            # The name it was opened by is gone and the file lives on
            # under another (a link() then unlink()): the same limit, the
            # kernel reports writes for the name written through only.
            return False
        data = self.rng.randbytes(self.rng.randint(1, 3000))
        if st.st_size and self.rng.random() < 0.3 and not append:
            data = data[:st.st_size]
            os.pwrite(fd, data, 0)
            how = 'overwrote %d bytes at 0' % len(data)
        else:
            os.lseek(fd, 0, os.SEEK_END)
            os.write(fd, data)
            how = '+%d bytes' % len(data)
        self.log(kind, 'fd %d (opened as %s, now %s, %d links) %s' % (
            fd, q(f), self.fd_path(fd), st.st_nlink, how))
        return True

    def k_open_write(self):
        if not self.held:
            return False
        return self.write_held('open_write', self.rng.choice(self.held))

    def k_open_close(self):
        if not self.held:
            return False
        h = self.held.pop(self.rng.randrange(len(self.held)))
        where = self.fd_path(h[0])
        os.close(h[0])
        self.log('open_close', 'fd %d (opened as %s, now %s) closed' % (h[0], q(h[1]), where))
        return True

    # ------------------------------------------------------------ driver
    def pause(self):
        r = self.rng.random()
        if r < 0.87:
            return
        if r < 0.985:
            s = self.rng.uniform(0.001, 0.030)
        else:
            s = self.rng.uniform(0.100, 0.300)
        self.note('sleep %.3f' % s)
        time.sleep(s)

    def run(self, nops, kinds):
        kinds = sorted(kinds)
        weights = [KINDS[k] for k in kinds]
        unused = set(kinds)
        i = 0
        failed = 0
        while i < nops:
            forced = len(unused) >= nops - i
            if forced:
                kind = self.rng.choice(sorted(unused))
            else:
                kind = self.rng.choices(kinds, weights)[0]
            self.opno = i + 1
            if not getattr(self, 'k_' + kind)():
                # nothing to do it on now (no symlink to retarget, no fd
                # held...): another kind; a forced one is given up
                if forced:
                    unused.discard(kind)
                failed += 1
                if failed > 10000:
                    raise RuntimeError('no kind can run any more')
                continue
            failed = 0
            self.dirty()
            unused.discard(kind)
            self.counts[kind] = self.counts.get(kind, 0) + 1
            i += 1
            self.pause()
        if 'open_hold' in kinds:
            self.final_holds()

    def final_holds(self):
        """At least one file written but not closed at the end: an existing
        file (on the mirror already) and a new one, opened, written and kept;
        every other held fd written to as well.  After a pause, so that what
        the last ops left pending (a new directory, which a push sends with
        its contents) is on the mirrors and cannot carry these writes."""
        self.opno += 1
        self.note('sleep 0.200 (before the final writes to files held open)')
        time.sleep(0.2)
        self.dirty()
        self.hold_open('final_hold', False)
        self.dirty()
        self.hold_open('final_hold', True)
        for h in self.held[:-2]:
            self.write_held('final_write', h)
        self.note('held open at the end: %s' % ', '.join(
            'fd %d %s' % (h[0], self.fd_path(h[0])) for h in self.held))

    # ------------------------------------------------------ initial tree
    def populate(self):
        """A starting tree: directories, files, symlinks, a hard link, some
        modes, a few hostile names; and entries in OUTSIDE to move in."""
        for _ in range(self.rng.randint(3, 6)):
            self.opno = 0
            if not self.k_mkdir_p():
                break
            self.dirty()
        for _ in range(self.rng.randint(15, 40)):
            self.k_create()
            self.dirty()
        for _ in range(4):
            self.k_symlink()
            self.dirty()
        for _ in range(3):
            self.k_hostile()
            self.dirty()
        self.k_hardlink()
        self.dirty()
        for _ in range(3):
            self.k_chmod_file()
            self.dirty()
        self.k_chmod_dir()
        self.dirty()
        for _ in range(self.rng.randint(1, 3)):
            self.make_outside()


def expand_kinds(spec):
    out = set()
    for w in re.split(r'[,\s]+', spec or ''):
        if not w:
            continue
        if w in GROUPS:
            out.update(GROUPS[w])
        elif w in KINDS:
            out.add(w)
        else:
            sys.exit('churn.py: unknown op kind or group %r (see: churn.py kinds)' % w)
    return out


def cmd_run(a):
    kinds = set(KINDS)
    if a.ops_only:
        kinds = expand_kinds(a.ops_only)
    kinds -= expand_kinds(a.ops_exclude)
    if not kinds:
        sys.exit('churn.py: no op kind left')
    if a.ops == 0:
        return      # only the kinds were checked
    with open(a.log, 'w', encoding='utf-8', errors='backslashreplace') as log:
        log.write('# churn.py run --seed %d --ops %d kinds: %s\n' % (
            a.seed, a.ops, ','.join(sorted(kinds))))
        g = Gen(a.src, a.outside, a.seed, log)
        try:
            g.run(a.ops, kinds)
        except BaseException:
            import traceback
            log.write('# generator failed at op %d:\n' % g.opno)
            traceback.print_exc(file=log)
            raise
        log.write('# done: %s\n' % ' '.join(
            '%s=%d' % (k, g.counts[k]) for k in sorted(g.counts)))
        log.write('# held open: %d\n' % len(g.held))
    if a.done:
        tmp = a.done + '.tmp'
        with open(tmp, 'w') as fh:
            fh.write('ops=%d held=%d\n' % (a.ops, len(g.held)))
        os.rename(tmp, a.done)
    if g.held and a.stop:
        deadline = time.monotonic() + 600
        while not os.path.exists(a.stop) and time.monotonic() < deadline:
            time.sleep(0.02)
    for h in g.held:
        os.close(h[0])


def cmd_populate(a):
    os.makedirs(a.src, exist_ok=True)
    os.makedirs(a.outside, exist_ok=True)
    # another stream than run's: run --seed N replays the same ops whether or
    # not populate ran before with the same seed
    g = Gen(a.src, a.outside, 'populate-%d' % a.seed)
    g.counter = 10**6
    g.populate()


# ------------------------------------------------------------ comparison

def walk(root):
    out = {}

    def rec(rel):
        p = os.path.join(root, rel) if rel else root
        for name in sorted(os.listdir(p)):
            r = rel + b'/' + name if rel else name
            st = os.lstat(os.path.join(root, r))
            out[r] = st
            if stat.S_ISDIR(st.st_mode):
                rec(r)
    rec(b'')
    return out


TYPES = {stat.S_IFREG: 'file', stat.S_IFDIR: 'dir', stat.S_IFLNK: 'symlink',
         stat.S_IFIFO: 'fifo', stat.S_IFSOCK: 'socket', stat.S_IFCHR: 'chardev',
         stat.S_IFBLK: 'blockdev'}


def tname(st):
    return TYPES.get(stat.S_IFMT(st.st_mode), 'type %o' % stat.S_IFMT(st.st_mode))


def read(path):
    with open(path, 'rb') as fh:
        return fh.read()


def compare(src, dst):
    """[(path, message)] of every difference, a directory only or extra
    counted once (its contents are not listed)."""
    a, b = walk(src), walk(dst)
    diffs = []
    skip = None
    for p in sorted(set(a) | set(b)):
        if skip is not None and p.startswith(skip + b'/'):
            continue
        skip = None
        sa, sb = a.get(p), b.get(p)
        if sb is None:
            n = sum(1 for x in a if x.startswith(p + b'/'))
            diffs.append((p, 'missing on the mirror (%s%s)' % (
                tname(sa), ' with %d entries below' % n if n else '')))
            skip = p
            continue
        if sa is None:
            n = sum(1 for x in b if x.startswith(p + b'/'))
            diffs.append((p, 'only on the mirror (%s%s)' % (
                tname(sb), ' with %d entries below' % n if n else '')))
            skip = p
            continue
        if stat.S_IFMT(sa.st_mode) != stat.S_IFMT(sb.st_mode):
            diffs.append((p, 'type: source %s, mirror %s' % (tname(sa), tname(sb))))
            skip = p
            continue
        if stat.S_ISLNK(sa.st_mode):
            ta, tb = os.readlink(os.path.join(src, p)), os.readlink(os.path.join(dst, p))
            if ta != tb:
                diffs.append((p, 'symlink target: source %r, mirror %r' % (ta, tb)))
            continue
        if stat.S_ISREG(sa.st_mode) or stat.S_ISDIR(sa.st_mode):
            ma, mb = stat.S_IMODE(sa.st_mode), stat.S_IMODE(sb.st_mode)
            if ma != mb:
                diffs.append((p, 'mode: source %04o, mirror %04o' % (ma, mb)))
        if stat.S_ISREG(sa.st_mode):
            da, db = read(os.path.join(src, p)), read(os.path.join(dst, p))
            if da != db:
                off = next((i for i in range(min(len(da), len(db))) if da[i] != db[i]),
                           min(len(da), len(db)))
                diffs.append((p, 'content: source %d bytes, mirror %d bytes, first '
                              'difference at byte %d (mtime source %.3f, mirror %.3f)' % (
                                  len(da), len(db), off, sa.st_mtime, sb.st_mtime)))
    return diffs, len(a), len(b)


def cmd_cmp(a):
    src, dst = os.fsencode(a.src), os.fsencode(a.mirror)
    diffs, na, nb = compare(src, dst)
    if a.paths:
        with open(a.paths, 'w', encoding='ascii', errors='backslashreplace') as fh:
            for p, _ in diffs:
                fh.write(repr(p) + '\n')
    if not diffs:
        print('same: %d entries' % na)
        return 0
    print('%d difference%s (source %d entries, mirror %d):' % (
        len(diffs), '' if len(diffs) == 1 else 's', na, nb))
    for p, m in diffs[:a.max]:
        print('  %s: %s' % (repr(p), m))
    if len(diffs) > a.max:
        print('  ... and %d more' % (len(diffs) - a.max))
    return 1


TOKEN = re.compile(r"""(OUT:)?(b'(?:[^'\\]|\\.)*'|b"(?:[^"\\]|\\.)*")""")


def related(p, toks):
    return any(t == p or t.startswith(p + b'/') or p.startswith(t + b'/') for t in toks)


# Ops that give a path a new name: 'OLD -> NEW' (their first two paths).
RENAMES = ('rename_file', 'rename_over', 'rename_dir', 'rename_dir_over', 'link_unlink')


def trace(parsed, p):
    """{op index: the name p had then} for the ops that name p, an ancestor
    or a descendant of it, following renames back to where it came from, and
    for a hard link, the ops on its other name after it."""
    hits = {}
    cur = p
    for i in range(len(parsed) - 1, -1, -1):
        _, kind, toks = parsed[i]
        if related(cur, toks):
            hits[i] = cur
        elif related(p, toks):      # its parents now, before it moved there
            hits[i] = p
        if kind in RENAMES and len(toks) >= 2:
            old, new = toks[0], toks[1]
            if cur == new or cur.startswith(new + b'/'):
                cur = old + cur[len(new):]
    for i in sorted(hits):
        _, kind, toks = parsed[i]
        if kind == 'hardlink' and len(toks) == 2 and related(hits[i], toks[1:]):
            for j in range(i + 1, len(parsed)):
                if parsed[j][1] and related(toks[0], parsed[j][2]):
                    hits.setdefault(j, toks[0])
    return hits


def cmd_history(a):
    with open(a.paths, encoding='ascii') as fh:
        paths = [ast.literal_eval(l) for l in fh.read().splitlines() if l]
    with open(a.oplog, encoding='utf-8', errors='replace') as fh:
        lines = [l for l in fh.read().splitlines() if not l.startswith('#')]
    parsed = []     # (line, kind or None for a note, [paths named in SRC])
    for l in lines:
        toks = []
        for m in TOKEN.finditer(l):
            if m.group(1):
                continue
            try:
                toks.append(ast.literal_eval(m.group(2)))
            except (ValueError, SyntaxError):
                pass
        parsed.append((l, l.split()[2] if l[:4].isdigit() else None, toks))
    groups = {}     # the same ops for several paths: shown once
    order = []
    for p in paths:
        hits = trace(parsed, p)
        key = tuple(sorted(hits))
        if key not in groups:
            groups[key] = ([], hits)
            order.append(key)
        groups[key][0].append(p)
    last = {}       # the kind of the last op on each path (itself, not a parent)
    for key in order:
        ps, hits = groups[key]
        own = [parsed[i][1] for i in key if parsed[i][1]
               and any(t == hits[i] or t.startswith(hits[i] + b'/') for t in parsed[i][2])]
        ops = [parsed[i][1] for i in key if parsed[i][1]]
        k = (own or ops or ['none'])[-1]
        last[k] = last.get(k, 0) + len(ps)
    print('# last op on each differing path (or its parent), by kind: %s' % (
        ' '.join('%s=%d' % kv for kv in sorted(last.items())) or 'none'))
    for key in order:
        ps = groups[key][0]
        more = ' and %d more paths with the same ops' % (len(ps) - 1) if len(ps) > 1 else ''
        print('history of %r%s (%d ops on it, its parents, its contents, its earlier names '
              'or its other hard link):' % (ps[0], more, len(key)))
        for i in key[-a.max:]:
            print('    ' + parsed[i][0])
    return 0


def cmd_kinds(a):
    for k in KINDS:
        print('%-18s weight %s' % (k, KINDS[k]))
    for g, ks in GROUPS.items():
        print('group %-12s %s' % (g, ','.join(ks)))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = ap.add_subparsers(dest='cmd', required=True)
    p = sub.add_parser('run')
    p.add_argument('--seed', type=int, required=True)
    p.add_argument('--src', required=True)
    p.add_argument('--outside', required=True)
    p.add_argument('--log', required=True)
    p.add_argument('--ops', type=int, default=150)
    p.add_argument('--ops-exclude', default=os.environ.get('CHURN_OPS_EXCLUDE', ''))
    p.add_argument('--ops-only', default=os.environ.get('CHURN_OPS_ONLY', ''))
    p.add_argument('--done')
    p.add_argument('--stop')
    p = sub.add_parser('populate')
    p.add_argument('--seed', type=int, required=True)
    p.add_argument('--src', required=True)
    p.add_argument('--outside', required=True)
    p = sub.add_parser('cmp')
    p.add_argument('src')
    p.add_argument('mirror')
    p.add_argument('--max', type=int, default=40)
    p.add_argument('--paths')
    p = sub.add_parser('history')
    p.add_argument('oplog')
    p.add_argument('--paths', required=True)
    p.add_argument('--max', type=int, default=12)
    sub.add_parser('kinds')
    a = ap.parse_args()
    os.umask(0o022)     # the same modes, and so the same choices, anywhere
    if a.cmd == 'run':
        cmd_run(a)
        return 0
    if a.cmd == 'populate':
        cmd_populate(a)
        return 0
    return {'cmp': cmd_cmp, 'history': cmd_history, 'kinds': cmd_kinds}[a.cmd](a)


if __name__ == '__main__':
    sys.exit(main())
