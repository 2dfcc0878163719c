"""`nbgrader collect` that copies what the student submitted, never what a symbolic link in it points to.

nbgrader's collect copies each submission from the exchange's inbound/ with `shutil.copytree`, which follows
symbolic links: a notebook left in the exchange as a link to `solutions/` arrived in submitted/ as the solutions
(full marks, and the solution's code in the feedback). Here only regular files and folders are copied; a link, or
anything else that is not a plain file (a FIFO, a device), is left out with a warning naming it, and a submission
folder that is itself a link is not collected. nbgrader's own limits (ignore/include patterns, file and folder
sizes, group-shared modes) apply as before. A submission whose student id breaks the course's rule
(student_ids.py: it names folders) is left out with the reason; collecting before the chapter was released (no
inbound/ in the exchange) says so in one line with the command to run. Configured in nbgrader_config.py
(`c.ExchangeFactory.collect`).
"""
from __future__ import annotations

import os
import shutil
import stat

from nbgrader.exchange.default.collect import ExchangeCollect
from nbgrader.utils import ignore_patterns

from autograder.grading.student_ids import unsafe_id_reason


class CollectWithoutLinks(ExchangeCollect):

    def init_src(self):
        inbound = os.path.join(self.root, self.coursedir.course_id, "inbound")
        if self.coursedir.course_id and not os.path.isdir(inbound):
            chapter = self.coursedir.assignment_id
            self.fail(f"nothing to collect: the exchange has no {inbound} (the chapter was never released): run "
                      f"`python3 course.py nbgrader release_assignment {chapter}` first, and students submit after")
        super().init_src()
        kept = []
        for record in self.src_records:
            why = unsafe_id_reason(record["username"], fix="the submission folder's name was not made by nbgrader")
            if why:
                self.log.warning("not collected: %s: %s", record["filename"], why)
            else:
                kept.append(record)
        self.src_records = kept

    def do_copy(self, src, dest, log=None):
        if os.path.islink(src):
            self.log.warning("not collected: %s is a symbolic link (only the student's own files are)", src)
            return
        size = self.get_size(src)
        if size > 1000 * self.coursedir.max_dir_size:
            raise RuntimeError(f"Directory size is too big. Size is {size}, maximum size is "
                               f"{1000 * self.coursedir.max_dir_size}")
        nbgrader_ignore = ignore_patterns(exclude=self.coursedir.ignore, include=self.coursedir.include,
                                          max_file_size=self.coursedir.max_file_size, log=self.log)

        def ignore(folder, names):
            left_out = set(nbgrader_ignore(folder, names))
            for name in names:
                mode = os.lstat(os.path.join(folder, name)).st_mode
                if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
                    what = "a symbolic link" if stat.S_ISLNK(mode) else "not a regular file"
                    self.log.warning("not collected: %s is %s", os.path.join(folder, name), what)
                    left_out.add(name)
            return left_out

        # symlinks=True as well: a file swapped for a link after the check above is copied as a link, which the
        # grader's reading stage refuses, never as its target.
        shutil.copytree(src, dest, symlinks=True, ignore=ignore)
        if self.coursedir.groupshared:
            for folder, _, files in os.walk(dest):
                for path, bits in [(folder, 0o2770), *((os.path.join(folder, f), 0o660) for f in files)]:
                    mode = os.stat(path).st_mode
                    if mode & bits != bits:
                        try:
                            os.chmod(path, (mode | bits) & (0o2777 if bits == 0o2770 else 0o777))
                        except PermissionError:
                            self.log.warning("Could not update permissions of %s to make it groupshared", path)
