/* Prints the sizes behind netify's per-flow memory (bench helper). */
#include <stdio.h>
#include <ndpi_api.h>

#include "flow.h"
#include "meta.h"

int main(void)
{
	printf("flow_record %zu\nmeta_extra %zu\nndpi_flow %u\n", sizeof(struct flow),
	       sizeof(struct meta_extra), ndpi_detection_get_sizeof_ndpi_flow_struct());
	return 0;
}
