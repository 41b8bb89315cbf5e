/* meta — event building blocks shared by every mapping: ids, references,
 * Meta's time formats (facebook.md §7), payloads without ids, unknowns. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "meta.h"
#include "parley/sdk/encode.h"
#include "parley/sdk/json.h"
#include "parley/sdk/time.h"

void parley_meta_event_ref(const parley_meta_t *m, const char *native, char *buf, size_t len) {
  snprintf(buf, len, "%s:%s", m->plat->name, native);
}

parley_event_t *parley_meta_event_new(const parley_meta_t *m, const char *native,
                                      const char *account, parley_kind_t kind,
                                      parley_visibility_t vis) {
  char id[PARLEY_META_ID_MAX + 32];
  if (!native || !*native)
    return NULL;
  parley_event_t *ev = parley_event_new();
  if (!ev)
    return NULL;
  parley_meta_event_ref(m, native, id, sizeof id);
  if (parley_event_set_id(ev, id) != 0 || parley_event_set_platform(ev, m->plat->name) != 0 ||
      parley_event_set_account(ev, account) != 0) {
    parley_event_free(ev);
    return NULL;
  }
  parley_event_set_kind(ev, kind);
  parley_event_set_visibility(ev, vis);
  return ev;
}

/* Conversation ids are native ids (the post, the media, the DM thread), as
 * in every connector; in_reply_to names an event, so it has the prefix. */
void parley_meta_set_conversation(const parley_meta_t *m, parley_event_t *ev, const char *native) {
  (void)m;
  if (native && *native)
    parley_event_set_conversation_id(ev, native);
}

void parley_meta_set_in_reply_to(const parley_meta_t *m, parley_event_t *ev, const char *native) {
  char id[PARLEY_META_ID_MAX + 32];
  if (native && *native) {
    parley_meta_event_ref(m, native, id, sizeof id);
    parley_event_set_in_reply_to(ev, id);
  }
}

void parley_meta_set_raw(const parley_meta_t *m, parley_event_t *ev, const json_t *raw, int force) {
  if (!raw || (!force && !m->cfg->include_raw))
    return;
  char *s = json_dumps(raw, JSON_COMPACT | JSON_ENCODE_ANY);
  if (s)
    parley_event_set_raw(ev, s, strlen(s));
  free(s);
}

int parley_meta_time(const json_t *v, int64_t *ms) {
  if (!v)
    return PARLEY_ENOENT;
  if (json_is_integer(v)) {
    json_int_t n = json_integer_value(v);
    /* past year 9999 no event can carry it (the core would refuse it) */
    if (n <= 0 || parley_time_from_epoch((int64_t)n) > PARLEY_TIME_MAX_MS)
      return PARLEY_EPARSE;
    *ms = parley_time_from_epoch((int64_t)n);
    return 0;
  }
  if (json_is_string(v))
    return parley_sdk_time_parse_any(json_string_value(v), ms);
  return PARLEY_EPARSE;
}

void parley_meta_set_created(parley_event_t *ev, const json_t *obj, const char *member,
                             int64_t fallback_ms) {
  int64_t ms = 0;
  if (parley_meta_time(json_object_get(obj, member), &ms) != 0 || ms <= 0)
    ms = fallback_ms > 0 ? fallback_ms : parley_time_now();
  parley_event_set_created_at(ev, ms);
}

void parley_meta_payload_id(const char *prefix, const char *account, const json_t *payload,
                            char *buf, size_t len) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int mdlen = 0;
  char hex[PARLEY_SDK_HEX_LEN(16)];
  char *s = json_dumps(payload, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
  size_t alen = account ? strlen(account) : 0, slen = s ? strlen(s) : 0;
  char *msg = malloc(alen + slen + 2);
  if (msg) {
    memcpy(msg, account ? account : "", alen);
    msg[alen] = '\n';
    memcpy(msg + alen + 1, s ? s : "", slen);
  }
  memset(md, 0, sizeof md);
  if (msg)
    EVP_Digest(msg, alen + slen + 1, md, &mdlen, EVP_sha256(), NULL);
  free(msg);
  free(s);
  /* 128 bits are plenty to keep distinct payloads apart */
  parley_sdk_hex_encode(md, 16, hex, sizeof hex);
  snprintf(buf, len, "%s_%s", prefix, hex);
}

parley_event_t *parley_meta_unknown_event(parley_meta_t *m, const char *account,
                                          const char *what, const json_t *payload,
                                          int64_t when_ms) {
  char native[PARLEY_META_ID_MAX];
  parley_meta_payload_id("unknown", account, payload, native, sizeof native);
  parley_event_t *ev = parley_meta_event_new(m, native, account, PARLEY_KIND_UNKNOWN,
                                             PARLEY_VISIBILITY_PRIVATE);
  if (!ev)
    return NULL;
  parley_event_set_created_at(ev, when_ms > 0 ? when_ms : parley_time_now());
  parley_meta_set_raw(m, ev, payload, 1);
  parley_meta_count(m, "unknown_total", 1);
  m->host->log(m->inst, PARLEY_LOG_INFO, "account %s: %s has no mapping: emitted as unknown",
               account, what);
  return ev;
}

void parley_meta_dm_conversation(const char *account, const char *customer, char *buf,
                                 size_t len) {
  snprintf(buf, len, "%s:%s", account ? account : "", customer ? customer : "");
}

int parley_meta_dm_parse(const char *conversation, char *account, size_t alen, char *customer,
                         size_t clen) {
  const char *colon = conversation ? strrchr(conversation, ':') : NULL;
  /* tolerate the event-style "<platform>:<account>:<customer>" too */
  if (!colon || !colon[1])
    return PARLEY_EINVAL;
  const char *start = conversation;
  const char *first = strchr(conversation, ':');
  if (first != colon)
    start = first + 1;
  size_t an = (size_t)(colon - start);
  if (an == 0 || an >= alen || strlen(colon + 1) >= clen)
    return PARLEY_EINVAL;
  memcpy(account, start, an);
  account[an] = '\0';
  snprintf(customer, clen, "%s", colon + 1);
  return 0;
}
