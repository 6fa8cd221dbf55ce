// nats.c (NATS and JetStream client). The NATS module wraps it; its types stay inside that module.
#include <nats/nats.h>
