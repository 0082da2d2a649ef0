/* alger-run-requests.h: the run requests of the protocol (103, 104, 106, 107) */
#pragma once

#include "alger-executions.h"
#include "alger-frame.h"
#include "alger-session.h"
#include "alger-store.h"

G_BEGIN_DECLS

/* answer one 103/104/106/107 (exactly one alger_session_reply, maybe later) */
void alger_run_requests_handle (AlgerExecutions *executions, AlgerStore *store,
                                AlgerSession *session, AlgerFrame *frame);

G_END_DECLS
