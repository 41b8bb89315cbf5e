/* linkedin — URNs (linkedin.md §3).
 *
 * Comments are composite URNs, urn:li:comment:(<thread URN>,<comment id>),
 * where the thread is the post's activity (or share/ugcPost) URN. Payloads
 * also carry a short form, urn:li:comment:(activity:123,456) (§3, §7.3);
 * both are normalised to the long form so that one comment always has one
 * event id. Comment ids are 19-digit numbers and stay strings. */
#include <stdio.h>
#include <string.h>

#include "linkedin.h"
#include "parley/sdk/paging.h"
#include "parley/sdk/query.h"

#define COMMENT_PREFIX "urn:li:comment:("

static int copy_out(const char *s, size_t n, char *buf, size_t len) {
  if (n >= len)
    return PARLEY_ENOBUFS;
  memcpy(buf, s, n);
  buf[n] = '\0';
  return (int)n;
}

int parley_linkedin_urn_normalize(const char *urn, char *buf, size_t len) {
  if (!urn || strncmp(urn, "urn:li:", 7) != 0 || strpbrk(urn, " \t\r\n"))
    return PARLEY_EINVAL;
  size_t plen = strlen(COMMENT_PREFIX);
  /* the short form names the thread without its urn:li: prefix */
  if (strncmp(urn, COMMENT_PREFIX, plen) == 0 && strncmp(urn + plen, "urn:li:", 7) != 0) {
    int n = snprintf(buf, len, COMMENT_PREFIX "urn:li:%s", urn + plen);
    return n < 0 || (size_t)n >= len ? PARLEY_ENOBUFS : n;
  }
  return copy_out(urn, strlen(urn), buf, len);
}

int parley_linkedin_comment_split(const char *urn, char *thread, size_t tlen, char *id,
                                  size_t ilen) {
  char norm[PARLEY_LINKEDIN_URN_MAX];
  size_t plen = strlen(COMMENT_PREFIX);
  if (parley_linkedin_urn_normalize(urn, norm, sizeof norm) < 0 ||
      strncmp(norm, COMMENT_PREFIX, plen) != 0)
    return PARLEY_EINVAL;
  size_t n = strlen(norm);
  const char *comma = strrchr(norm, ',');
  if (norm[n - 1] != ')' || !comma || comma < norm + plen)
    return PARLEY_EINVAL;
  const char *t = norm + plen;
  if (copy_out(t, (size_t)(comma - t), thread, tlen) < 0 ||
      copy_out(comma + 1, (size_t)(norm + n - 1 - (comma + 1)), id, ilen) < 0 ||
      !parley_sdk_id_valid(id))
    return PARLEY_EINVAL;
  if (parley_linkedin_is_post_urn(thread))
    return 0;
  /* a reply may name its parent comment as its thread (nested URN,
   * unverified in linkedin.md): the post is the parent's thread */
  char parent_id[PARLEY_SDK_ID_MAX], parent[PARLEY_LINKEDIN_URN_MAX];
  if (strncmp(thread, COMMENT_PREFIX, plen) != 0 ||
      parley_linkedin_comment_split(thread, parent, sizeof parent, parent_id, sizeof parent_id) < 0)
    return PARLEY_EINVAL;
  return copy_out(parent, strlen(parent), thread, tlen) < 0 ? PARLEY_EINVAL : 0;
}

int parley_linkedin_is_post_urn(const char *urn) {
  static const char *const kinds[] = {"urn:li:share:", "urn:li:ugcPost:", "urn:li:activity:"};
  for (size_t i = 0; urn && i < sizeof kinds / sizeof kinds[0]; i++) {
    size_t n = strlen(kinds[i]);
    if (strncmp(urn, kinds[i], n) == 0 && parley_sdk_id_valid(urn + n))
      return 1;
  }
  return 0;
}

int parley_linkedin_urn_id(const char *urn, char *buf, size_t len) {
  char thread[PARLEY_LINKEDIN_URN_MAX];
  if (parley_linkedin_comment_split(urn, thread, sizeof thread, buf, len) == 0)
    return 0;
  if (!parley_linkedin_is_post_urn(urn))
    return PARLEY_EINVAL;
  const char *colon = strrchr(urn, ':');
  return copy_out(colon + 1, strlen(colon + 1), buf, len) < 0 ? PARLEY_EINVAL : 0;
}

int parley_linkedin_urn_encode(const char *urn, char *buf, size_t len) {
  return parley_sdk_percent_encode(urn, strlen(urn), buf, len);
}

int parley_linkedin_event_urn(const char *ref, const char *conversation, char *buf, size_t len) {
  const char *prefix = PARLEY_LINKEDIN_PLATFORM ":";
  char post[PARLEY_LINKEDIN_URN_MAX], num[PARLEY_SDK_ID_MAX];
  if (!ref)
    return PARLEY_EINVAL;
  if (strncmp(ref, prefix, strlen(prefix)) == 0)
    ref += strlen(prefix);
  if (strncmp(ref, "urn:li:", 7) == 0)
    return parley_linkedin_urn_normalize(ref, buf, len) < 0 ? PARLEY_EINVAL : 0;
  /* an event id names a number: the conversation says which post */
  if (!parley_sdk_id_valid(ref) || parley_linkedin_urn_normalize(conversation, post, sizeof post) < 0 ||
      !parley_linkedin_is_post_urn(post))
    return PARLEY_EINVAL;
  if (parley_linkedin_urn_id(post, num, sizeof num) == 0 && strcmp(num, ref) == 0)
    return copy_out(post, strlen(post), buf, len) < 0 ? PARLEY_EINVAL : 0;
  int n = snprintf(buf, len, COMMENT_PREFIX "%s,%s)", post, ref);
  return n < 0 || (size_t)n >= len ? PARLEY_EINVAL : 0;
}
