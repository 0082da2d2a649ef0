/* alger-handlers.h: what each request type does (100-107)
 *
 * A handler answers with exactly one alger_session_reply(); it may do so
 * later, from an async callback.  Handlers reach the store only through
 * AlgerStore and never touch the socket.
 */
#pragma once

#include "alger-accounts.h"
#include "alger-frame.h"
#include "alger-session.h"
#include "alger-store.h"

G_BEGIN_DECLS

typedef struct _AlgerExecutions AlgerExecutions;

AlgerHandlers *alger_handlers_new (AlgerStore *store, AlgerAccounts *accounts,
                                   AlgerExecutions *executions);
void alger_handlers_free (AlgerHandlers *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AlgerHandlers, alger_handlers_free)

void alger_handlers_dispatch (AlgerHandlers *self, AlgerSession *session, AlgerFrame *frame);

G_END_DECLS
