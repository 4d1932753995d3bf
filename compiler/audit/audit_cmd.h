/* SPDX-License-Identifier: Apache-2.0 */
/* `aspenc audit verify FILE...`: checks an audit trail's hash chain across
 * its files (runtime/lib/rt_audit.h). */
#ifndef ASPENC_AUDIT_CMD_H
#define ASPENC_AUDIT_CMD_H

/* argv[0] is "audit". Exit status: 0 intact, 1 broken, 2 usage or a file
 * that cannot be read. */
int aspenc_audit_main(int argc, char **argv);

#endif
