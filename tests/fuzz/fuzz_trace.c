/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target for the trace line reader (common/trace*.c).
 * Built and run with the others (tests/fuzz/README.md): `bench/fuzz.sh
 * SECONDS fuzz_trace`; ctest replays its seeds and corpus.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct trace_event ev;
	char err[256];

	if (trace_parse_line((const char *)data, size, &ev, err, sizeof(err)) == 0) {
		/* what parses must write back as JSON that parses again */
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);
		struct trace_event back;

		trace_event_to_json(&ev, f);
		fclose(f);
		if (trace_parse_line(buf, len, &back, err, sizeof(err)) != 0)
			abort();
		trace_event_free(&back);
		free(buf);
		trace_event_free(&ev);
	}
	return 0;
}
