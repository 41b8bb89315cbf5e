/* parley-sim — the words of a generated week: customer texts from the
 * labelled sets (<dir>/<lang>.tsv, `split<TAB>sentiment<TAB>text`, the
 * format of tests/data/care/), a small built-in set when no directory is
 * given, customer names per language, the brand's reply templates. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_week.h"

/* ---- built-in texts (used without week.texts) ---- */

typedef struct { const char *lang, *sentiment, *text; } parley_week_builtin_t;

static const parley_week_builtin_t parley_week_builtin[] = {
    {"en", "neg", "Still waiting for my refund, can someone help?"},
    {"en", "neg", "My order arrived broken and nobody answers my emails."},
    {"en", "neg", "Third time I'm asking: where is my parcel?"},
    {"en", "neu", "Do you ship to Ireland?"},
    {"en", "neu", "How do I change the delivery address of my order?"},
    {"en", "pos", "Love it, best purchase this year."},
    {"en", "pos", "Thanks for the quick help yesterday!"},
    {"de", "neg", "Der Support antwortet seit Tagen nicht."},
    {"de", "neg", "Meine Bestellung ist seit zwei Wochen unterwegs."},
    {"de", "neu", "Wann wird meine Bestellung geliefert?"},
    {"de", "neu", "Kann ich die Zahlungsart noch ändern?"},
    {"de", "pos", "Paket kam einen Tag früher an, super!"},
    {"nl", "neg", "Mijn pakket is beschadigd aangekomen."},
    {"nl", "neg", "Al een week geen reactie op mijn retourverzoek."},
    {"nl", "neu", "Verzenden jullie ook naar België?"},
    {"nl", "pos", "Super product, heel blij mee!"},
    {"nl", "pos", "Binnen een uur geholpen, top service."},
};

static int parley_week_texts_add(parley_week_texts_t *t, const char *sentiment, const char *text,
                                 size_t len) {
  if (t->n == t->cap) {
    size_t cap = t->cap ? t->cap * 2 : 64;
    parley_week_text_t *v = realloc(t->v, cap * sizeof *v);
    if (!v) return PARLEY_ENOMEM;
    t->v = v;
    t->cap = cap;
  }
  char *copy = malloc(len + 1);
  if (!copy) return PARLEY_ENOMEM;
  memcpy(copy, text, len);
  copy[len] = '\0';
  snprintf(t->v[t->n].sentiment, sizeof t->v[t->n].sentiment, "%s", sentiment);
  t->v[t->n++].text = copy;
  return 0;
}

/* One line "split<TAB>sentiment<TAB>text"; comments (#) and blank lines
 * are skipped by the caller. */
static int parley_week_tsv_line(parley_week_texts_t *t, char *line, const char *path,
                                size_t lineno, parley_error_t *err) {
  char *tab1 = strchr(line, '\t'), *tab2 = tab1 ? strchr(tab1 + 1, '\t') : NULL;
  if (!tab2)
    return parley_error_set(err, PARLEY_EPARSE,
                            "scenario: week.texts: %s:%zu: expected split<TAB>sentiment<TAB>text",
                            path, lineno);
  *tab2 = '\0';
  const char *sent = tab1 + 1, *text = tab2 + 1;
  if (strcmp(sent, "neg") && strcmp(sent, "neu") && strcmp(sent, "pos"))
    return parley_error_set(err, PARLEY_EPARSE,
                            "scenario: week.texts: %s:%zu: sentiment '%s' is not neg, neu or pos",
                            path, lineno, sent);
  size_t len = strlen(text);
  while (len && (text[len - 1] == '\n' || text[len - 1] == '\r')) len--;
  if (len == 0) return 0;
  return parley_week_texts_add(t, sent, text, len) ? parley_error_set(err, PARLEY_ENOMEM,
                                                                     "week: out of memory")
                                                   : 0;
}

static int parley_week_tsv_load(parley_week_texts_t *t, const char *dir, parley_error_t *err) {
  char path[4096], line[4096];
  snprintf(path, sizeof path, "%s/%s.tsv", dir, t->lang);
  FILE *f = fopen(path, "r");
  if (!f)
    return parley_error_set(err, PARLEY_EIO,
                            "scenario: week.texts: cannot read %s (%s): week.languages names '%s'",
                            path, strerror(errno), t->lang);
  int rc = 0;
  size_t lineno = 0;
  while (rc == 0 && fgets(line, sizeof line, f)) {
    lineno++;
    if (line[0] == '#' || line[0] == '\n' || line[0] == '\r' || line[0] == '\0') continue;
    rc = parley_week_tsv_line(t, line, path, lineno, err);
  }
  fclose(f);
  if (rc == 0 && t->n == 0)
    rc = parley_error_set(err, PARLEY_EPARSE, "scenario: week.texts: %s holds no texts", path);
  return rc;
}

static int parley_week_builtin_load(parley_week_texts_t *t, parley_error_t *err) {
  size_t n = sizeof parley_week_builtin / sizeof parley_week_builtin[0];
  for (size_t i = 0; i < n; i++) {
    const parley_week_builtin_t *b = &parley_week_builtin[i];
    if (strcmp(b->lang, t->lang)) continue;
    if (parley_week_texts_add(t, b->sentiment, b->text, strlen(b->text)))
      return parley_error_set(err, PARLEY_ENOMEM, "week: out of memory");
  }
  if (t->n == 0)
    return parley_error_set(err, PARLEY_EINVAL,
                            "scenario: week.languages: no built-in texts for '%s' (built in: en, "
                            "de, nl); set week.texts to a directory of <lang>.tsv files",
                            t->lang);
  return 0;
}

int parley_week_texts_load(parley_week_t *w, const char *dir, parley_error_t *err) {
  for (size_t i = 0; i < w->cfg.nlangs; i++) {
    parley_week_texts_t *t = &w->texts[i];
    snprintf(t->lang, sizeof t->lang, "%s", w->cfg.langs[i]);
    int rc = dir ? parley_week_tsv_load(t, dir, err) : parley_week_builtin_load(t, err);
    if (rc) return rc;
  }
  return 0;
}

void parley_week_texts_free(parley_week_t *w) {
  for (size_t i = 0; i < PARLEY_WEEK_MAX_LANGS; i++) {
    for (size_t k = 0; k < w->texts[i].n; k++) free(w->texts[i].v[k].text);
    free(w->texts[i].v);
    memset(&w->texts[i], 0, sizeof w->texts[i]);
  }
}

const parley_week_text_t *parley_week_text(parley_week_t *w, const char *lang) {
  for (size_t i = 0; i < w->cfg.nlangs; i++) {
    parley_week_texts_t *t = &w->texts[i];
    if (!strcmp(t->lang, lang) && t->n) return &t->v[parley_week_rand(w) % t->n];
  }
  return NULL;
}

/* ---- people ---- */

typedef struct { const char *lang; const char *const *first; const char *const *last; } parley_week_names_t;

#define PW_NAMES(...) (const char *const[]){__VA_ARGS__, NULL}

static const parley_week_names_t parley_week_names[] = {
    {"en", PW_NAMES("Emily", "James", "Olivia", "Tom", "Grace", "Sam", "Chloe", "Ryan", "Aisha", "Ben"),
     PW_NAMES("Smith", "Hughes", "Chen", "Okafor", "Walsh", "Patel", "Brown", "Evans", "Clarke", "Reid")},
    {"de", PW_NAMES("Jana", "Markus", "Lena", "Felix", "Sophie", "Jonas", "Anna", "Lukas", "Mia", "Paul"),
     PW_NAMES("Krueger", "Kessler", "Maier", "Schulz", "Wagner", "Becker", "Hoffmann", "Koch", "Vogel", "Brandt")},
    {"nl", PW_NAMES("Pieter", "Lotte", "Anneke", "Daan", "Sanne", "Bram", "Femke", "Joris", "Eva", "Thijs"),
     PW_NAMES("de Vries", "Bakker", "Visser", "Jansen", "Smit", "Mulder", "de Boer", "Bos", "Peters", "Dekker")},
    {"fr", PW_NAMES("Camille", "Louis", "Chloe", "Hugo", "Manon", "Jules", "Lea", "Arthur", "Ines", "Theo"),
     PW_NAMES("Martin", "Bernard", "Dubois", "Moreau", "Laurent", "Simon", "Michel", "Lefebvre", "Roux", "Blanc")},
    {"es", PW_NAMES("Lucia", "Hugo", "Martina", "Pablo", "Sofia", "Alvaro", "Carmen", "Diego", "Elena", "Javier"),
     PW_NAMES("Garcia", "Lopez", "Martinez", "Sanchez", "Perez", "Gomez", "Ruiz", "Diaz", "Moreno", "Romero")},
    {"it", PW_NAMES("Giulia", "Marco", "Chiara", "Luca", "Sara", "Matteo", "Elisa", "Davide", "Marta", "Paolo"),
     PW_NAMES("Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "Greco", "Bruno")},
    {"pt", PW_NAMES("Ana", "Joao", "Beatriz", "Pedro", "Mariana", "Tiago", "Ines", "Rui", "Carla", "Nuno"),
     PW_NAMES("Silva", "Santos", "Ferreira", "Pereira", "Costa", "Oliveira", "Rodrigues", "Martins", "Sousa", "Gomes")},
};

static size_t parley_week_count(const char *const *v) {
  size_t n = 0;
  while (v[n]) n++;
  return n;
}

static const parley_week_names_t *parley_week_names_of(const char *lang) {
  size_t n = sizeof parley_week_names / sizeof parley_week_names[0];
  for (size_t i = 0; i < n; i++)
    if (!strcmp(parley_week_names[i].lang, lang)) return &parley_week_names[i];
  return &parley_week_names[0];
}

void parley_week_person(parley_week_t *w, const char *lang, char *name, size_t nlen,
                        char *handle, size_t hlen) {
  const parley_week_names_t *nm = parley_week_names_of(lang);
  const char *first = nm->first[parley_week_rand(w) % parley_week_count(nm->first)];
  const char *last = nm->last[parley_week_rand(w) % parley_week_count(nm->last)];
  snprintf(name, nlen, "%s %s", first, last);
  size_t k = 0;
  for (const char *p = first; *p && k + 3 < hlen; p++)
    handle[k++] = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
  const char *l = strrchr(last, ' ') ? strrchr(last, ' ') + 1 : last;
  handle[k++] = '_';
  handle[k++] = (char)(l[0] >= 'A' && l[0] <= 'Z' ? l[0] - 'A' + 'a' : l[0]);
  handle[k] = '\0';
}

/* ---- the brand's words ---- */

/* Per language: an answer to a complaint, to a question, to praise, and
 * to a customer's follow-up. */
typedef struct { const char *lang, *neg, *neu, *pos, *again; } parley_week_replies_t;

static const parley_week_replies_t parley_week_replies[] = {
    {"en", "Sorry to hear that! Could you send us your order number by DM? We'll sort it out.",
     "Thanks for asking! You'll find the details on our help pages, or DM us and we'll check.",
     "Thank you so much for the kind words, we'll share them with the team!",
     "Thanks, we've got it. You'll get an update by email shortly."},
    {"de", "Das tut uns leid! Schick uns bitte deine Bestellnummer per DM, wir kümmern uns.",
     "Danke für deine Frage! Alle Details findest du auf unseren Hilfeseiten.",
     "Vielen Dank für das Lob, das geben wir gerne weiter!",
     "Danke, ist angekommen. Du bekommst gleich eine E-Mail von uns."},
    {"nl", "Vervelend om te horen! Stuur je ons je bestelnummer via DM? Dan lossen we het op.",
     "Goede vraag! Alle details vind je op onze hulppagina's.",
     "Dank je wel voor het compliment, we delen het met het team!",
     "Dank je, we hebben het ontvangen. Je krijgt zo een mail."},
    {"fr", "Désolés pour ce souci ! Pouvez-vous nous envoyer votre numéro de commande en MP ?",
     "Merci pour votre question, vous trouverez tous les détails sur nos pages d'aide.",
     "Merci beaucoup, nous transmettons à l'équipe !",
     "Merci, c'est bien reçu. Vous recevrez un e-mail sous peu."},
    {"es", "¡Sentimos las molestias! ¿Nos envías tu número de pedido por MD?",
     "¡Gracias por preguntar! Tienes todos los detalles en nuestras páginas de ayuda.",
     "¡Muchas gracias, se lo diremos al equipo!",
     "Gracias, lo hemos recibido. Te escribimos por correo enseguida."},
    {"it", "Ci dispiace! Puoi inviarci il numero d'ordine in DM?",
     "Grazie per la domanda! Trovi tutti i dettagli nelle nostre pagine di aiuto.",
     "Grazie mille, lo diremo al team!",
     "Grazie, ricevuto. Ti aggiorniamo via e-mail a breve."},
    {"pt", "Lamentamos! Pode enviar-nos o número da encomenda por DM?",
     "Obrigado pela pergunta! Encontra todos os detalhes nas nossas páginas de ajuda.",
     "Muito obrigado, vamos partilhar com a equipa!",
     "Obrigado, recebemos. Vai receber um e-mail em breve."},
};

const char *parley_week_reply_text(const char *lang, const char *sentiment, int follow_up) {
  size_t n = sizeof parley_week_replies / sizeof parley_week_replies[0];
  const parley_week_replies_t *r = &parley_week_replies[0];
  for (size_t i = 0; i < n; i++)
    if (!strcmp(parley_week_replies[i].lang, lang)) r = &parley_week_replies[i];
  if (follow_up) return r->again;
  return !sentiment || !strcmp(sentiment, "neg") ? r->neg : !strcmp(sentiment, "pos") ? r->pos : r->neu;
}

const char *parley_week_post_text(parley_week_t *w) {
  static const char *const posts[] = {
      "Meet the new Acme Rocket Skates 2.0 - faster, lighter, quieter. #acmerocket",
      "Weekend sale: 20% off all skates until Sunday!",
      "Behind the scenes: how we test every pair before it ships.",
      "Your questions answered: shipping times, returns and sizes.",
      "New colours just dropped. Which one is yours?",
      "We're hiring customer care specialists in Amsterdam and Berlin.",
  };
  return posts[parley_week_rand(w) % (sizeof posts / sizeof posts[0])];
}
