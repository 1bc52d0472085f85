/*
 * ucit.c - the UCI tree: allocation, lookup, editing and comparison.
 *
 * Editing follows libuci's own semantics (uci_set, uci_add_list, ...), so
 * that a file edited here and one edited by uci(1) end up the same: a
 * changed option moves to the end of its section, setting an option to ""
 * deletes it, adding a list item to a string option turns it into a list.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "uci_int.h"

/* Section-name and type-counter namespaces of struct uci_htab. */
static const char htab_tag_types;

/* ---- hash table ---- */

void uci_htab_init(struct uci_htab *t)
{
	memset(t, 0, sizeof(*t));
	/*
	 * The hash only decides speed, never results; the table address gives
	 * enough variation (ASLR) that crafted collisions need more than a file.
	 */
	t->seed = (uint32_t)((uintptr_t)t >> 4) ^ 0x9e3779b9u;
}

void uci_htab_free(struct uci_htab *t)
{
	free(t->ents);
	memset(t, 0, sizeof(*t));
}

static uint32_t htab_hash(const struct uci_htab *t, const void *owner,
			  const char *name)
{
	uint32_t h = 2166136261u ^ t->seed;
	uintptr_t o = (uintptr_t)owner;
	size_t i;

	for (i = 0; i < sizeof(o); i++, o >>= 8)
		h = (h ^ (uint8_t)o) * 16777619u;
	for (; *name; name++)
		h = (h ^ (uint8_t)*name) * 16777619u;
	return h ^ (h >> 15);
}

static struct uci_hent *htab_slot(struct uci_hent *ents, size_t cap,
				  uint32_t h, const void *owner,
				  const char *name)
{
	size_t i = h & (cap - 1);

	while (ents[i].name) {
		if (ents[i].h == h && ents[i].owner == owner &&
		    !strcmp(ents[i].name, name))
			break;
		i = (i + 1) & (cap - 1);
	}
	return &ents[i];
}

struct uci_hent *uci_htab_find(const struct uci_htab *t, const void *owner,
			       const char *name)
{
	struct uci_hent *e;

	if (!t->cap)
		return NULL;
	e = htab_slot(t->ents, t->cap, htab_hash(t, owner, name), owner, name);
	return e->name ? e : NULL;
}

static int htab_grow(struct uci_htab *t)
{
	size_t cap = t->cap ? t->cap * 2 : 64, i;
	struct uci_hent *ents = calloc(cap, sizeof(*ents)), *e;

	if (!ents)
		return -1;
	for (i = 0; i < t->cap; i++) {
		if (!t->ents[i].name)
			continue;
		/* keys are unique already: just find the first free slot */
		for (e = &ents[t->ents[i].h & (cap - 1)]; e->name;
		     e = &ents[(size_t)(e - ents + 1) & (cap - 1)])
			;
		*e = t->ents[i];
	}
	free(t->ents);
	t->ents = ents;
	t->cap = cap;
	return 0;
}

int uci_htab_put(struct uci_htab *t, const void *owner, const char *name,
		 size_t val)
{
	struct uci_hent *e;
	uint32_t h;

	/* keep the load under one half so probe runs stay short */
	if ((t->n + 1) * 2 > t->cap && htab_grow(t))
		return -1;
	h = htab_hash(t, owner, name);
	e = htab_slot(t->ents, t->cap, h, owner, name);
	if (!e->name)
		t->n++;
	e->owner = owner;
	e->name = name;
	e->val = val;
	e->h = h;
	return 0;
}

/* ---- names ---- */

static int char_is_name(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_';
}

int uci_name_valid(const char *name)
{
	if (!name || !*name)
		return 0;
	for (; *name; name++)
		if (!char_is_name((unsigned char)*name))
			return 0;
	return 1;
}

/* Types may hold any printable ASCII but space (libuci uci_validate_type). */
int uci_type_valid(const char *s, size_t len)
{
	size_t i;

	if (!len)
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 33 || (unsigned char)s[i] > 126)
			return 0;
	return 1;
}

/* Package names also allow '-' (libuci uci_validate_package). */
int uci_pkgname_valid(const char *s, size_t len)
{
	size_t i;

	if (!len)
		return 0;
	for (i = 0; i < len; i++)
		if (!char_is_name((unsigned char)s[i]) && s[i] != '-')
			return 0;
	return 1;
}

/* ---- allocation ---- */

struct uci_sec *uci_sec_alloc(const char *type, size_t type_len,
			      const char *name, size_t name_len)
{
	struct uci_sec *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->type = strndup(type, type_len);
	if (!s->type)
		goto out_free_sec;
	if (name) {
		s->name = strndup(name, name_len);
		if (!s->name)
			goto out_free_sec;
	}
	return s;

out_free_sec:
	uci_sec_free(s);
	errno = ENOMEM;
	return NULL;
}

/*
 * libuci names an anonymous section "cfg" + a package-wide count of the
 * sections created so far (named ones included, this one too) + a hash of
 * its type at creation, e.g. cfg01e63d for a first `config defaults`.  We
 * keep the name because `uci show pkg.@t[0]` prints it and a named section
 * can collide with it.
 */
int uci_sec_name_anon(struct uci_pkg *p, struct uci_sec *s)
{
	unsigned int h = 5381;
	char buf[32];
	const char *c;

	for (c = s->type; *c; c++)
		h = h * 33 + (unsigned int)*c;
	h &= 0x7fffffffu;
	p->n_section++;
	snprintf(buf, sizeof(buf), "cfg%02x%04x", p->n_section, h % (1u << 16));
	s->anon_name = strdup(buf);
	return s->anon_name ? 0 : -1;
}

void uci_sec_free(struct uci_sec *s)
{
	struct uci_opt *o, *next;

	if (!s)
		return;
	for (o = s->opts; o; o = next) {
		next = o->next;
		uci_opt_free(o);
	}
	free(s->type);
	free(s->name);
	free(s->anon_name);
	free(s);
}

struct uci_opt *uci_opt_alloc(const char *name, size_t name_len)
{
	struct uci_opt *o = calloc(1, sizeof(*o));

	if (!o)
		return NULL;
	o->name = strndup(name, name_len);
	if (!o->name) {
		free(o);
		return NULL;
	}
	return o;
}

/* Drop the value, keep the name: the option is about to be set again. */
void uci_opt_clear(struct uci_opt *o)
{
	size_t i;

	for (i = 0; i < o->n_items; i++)
		free(o->items[i]);
	free(o->items);
	free(o->value);
	o->items = NULL;
	o->n_items = 0;
	o->value = NULL;
	o->type = UCI_OPT_STRING;
}

void uci_opt_free(struct uci_opt *o)
{
	if (!o)
		return;
	uci_opt_clear(o);
	free(o->name);
	free(o);
}

/*
 * Append a list item.  Capacity is implicit: max(4, next power of two of
 * n_items), so growth happens only when n_items is 0 or a power of two.
 */
int uci_opt_push(struct uci_opt *o, const char *val, size_t len)
{
	size_t n = o->n_items;
	char **items = o->items;
	char *v = strndup(val, len);

	if (!v)
		return -1;
	if (n == 0 || (n >= 4 && !(n & (n - 1)))) {
		items = realloc(o->items, (n ? n * 2 : 4) * sizeof(*items));
		if (!items) {
			free(v);
			return -1;
		}
		o->items = items;
	}
	o->items[o->n_items++] = v;
	o->type = UCI_OPT_LIST;
	return 0;
}

/* A string option becomes a list whose first item is the old value. */
int uci_opt_to_list(struct uci_opt *o)
{
	char *old = o->value;

	if (o->type == UCI_OPT_LIST)
		return 0;
	o->value = NULL;
	if (uci_opt_push(o, old, strlen(old))) {
		o->value = old;
		return -1;
	}
	free(old);
	return 0;
}

struct uci_pkg *uci_pkg_new(const char *name, const char *file)
{
	struct uci_pkg *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->name = strdup(name ? name : "");
	p->file = file ? strdup(file) : NULL;
	if (!p->name || (file && !p->file)) {
		uci_pkg_free(p);
		errno = ENOMEM;
		return NULL;
	}
	return p;
}

void uci_pkg_free(struct uci_pkg *pkg)
{
	struct uci_sec *s, *next;

	if (!pkg)
		return;
	for (s = pkg->secs; s; s = next) {
		next = s->next;
		uci_sec_free(s);
	}
	free(pkg->name);
	free(pkg->file);
	free(pkg);
}

/* ---- lookup ---- */

const struct uci_opt *uci_opt_get(const struct uci_sec *s, const char *name)
{
	const struct uci_opt *o;

	if (!s || !name)
		return NULL;
	for (o = s->opts; o; o = o->next)
		if (!strcmp(o->name, name))
			return o;
	return NULL;
}

const char *uci_get_str(const struct uci_sec *s, const char *name,
			const char *def)
{
	const struct uci_opt *o = uci_opt_get(s, name);

	return o && o->type == UCI_OPT_STRING ? o->value : def;
}

static int sec_has_name(const struct uci_sec *s, const char *name)
{
	return (s->name && !strcmp(s->name, name)) ||
	       (s->anon_name && !strcmp(s->anon_name, name));
}

/* "@type[n]" or "@[n]" (any type), n negative counts from the end. */
static struct uci_sec *sec_find_ext(const struct uci_pkg *p, const char *ref)
{
	const char *open = strchr(ref, '['), *type = ref + 1;
	size_t tlen, count = 0;
	struct uci_sec *s;
	char *end;
	long idx;

	if (ref[0] != '@' || !open || open[1] == ']')
		return NULL;
	tlen = (size_t)(open - type);
	if (tlen && !uci_type_valid(type, tlen))
		return NULL;
	idx = strtol(open + 1, &end, 10);
	if (end[0] != ']' || end[1])
		return NULL;
	for (s = p->secs; s; s = s->next)
		if (!tlen || (strlen(s->type) == tlen && !strncmp(s->type, type, tlen)))
			count++;
	if (idx < 0)
		idx += (long)count;
	for (s = p->secs; s && idx >= 0; s = s->next) {
		if (tlen && (strlen(s->type) != tlen || strncmp(s->type, type, tlen)))
			continue;
		if (idx-- == 0)
			return s;
	}
	return NULL;
}

struct uci_sec *uci_sec_find(const struct uci_pkg *p, const char *name)
{
	struct uci_sec *s;

	if (!p || !name)
		return NULL;
	if (!uci_name_valid(name))
		return sec_find_ext(p, name);
	for (s = p->secs; s; s = s->next)
		if (sec_has_name(s, name))
			return s;
	return NULL;
}

/* Recompute @type[n]: position of each section among those of its type. */
int uci_pkg_reindex(struct uci_pkg *p)
{
	struct uci_htab t;
	struct uci_hent *e;
	struct uci_sec *s;
	size_t n;

	uci_htab_init(&t);
	for (s = p->secs; s; s = s->next) {
		e = uci_htab_find(&t, &htab_tag_types, s->type);
		n = e ? e->val : 0;
		s->anon_index = n > INT32_MAX ? INT32_MAX : (int)n;
		if (uci_htab_put(&t, &htab_tag_types, s->type, n + 1)) {
			uci_htab_free(&t);
			return -1;
		}
	}
	uci_htab_free(&t);
	return 0;
}

/* ---- editing ---- */

static int fail(int err)
{
	errno = err;
	return -1;
}

struct uci_sec *uci_sec_add(struct uci_pkg *p, const char *type,
			    const char *name)
{
	struct uci_sec *s, **tail;

	if (!p || !type || !uci_type_valid(type, strlen(type)) ||
	    (name && !uci_name_valid(name))) {
		errno = EINVAL;
		return NULL;
	}
	s = name ? uci_sec_find(p, name) : NULL;
	if (s) {
		if (strcmp(s->type, type)) {
			errno = EEXIST;
			return NULL;
		}
		return s;
	}
	s = uci_sec_alloc(type, strlen(type), name, name ? strlen(name) : 0);
	if (!s)
		return NULL;
	if (name)
		p->n_section++;
	else if (uci_sec_name_anon(p, s))
		goto out_free_sec;
	for (tail = &p->secs; *tail; tail = &(*tail)->next)
		;
	*tail = s;
	if (uci_pkg_reindex(p))
		return NULL;	/* linked already: the package owns it */
	return s;

out_free_sec:
	uci_sec_free(s);
	errno = ENOMEM;
	return NULL;
}

static struct uci_sec **sec_link(struct uci_pkg *p, const struct uci_sec *s)
{
	struct uci_sec **l;

	for (l = &p->secs; *l; l = &(*l)->next)
		if (*l == s)
			return l;
	return NULL;
}

int uci_sec_del(struct uci_pkg *p, struct uci_sec *s)
{
	struct uci_sec **l = p && s ? sec_link(p, s) : NULL;

	if (!l)
		return fail(ENOENT);
	*l = s->next;
	uci_sec_free(s);
	return uci_pkg_reindex(p);
}

/* As libuci uci_reorder_section: @pos counts the other sections. */
int uci_sec_move(struct uci_pkg *p, struct uci_sec *s, size_t pos)
{
	struct uci_sec **l = p && s ? sec_link(p, s) : NULL;

	if (!l)
		return fail(ENOENT);
	*l = s->next;
	for (l = &p->secs; *l && pos; l = &(*l)->next)
		pos--;
	s->next = *l;
	*l = s;
	return uci_pkg_reindex(p);
}

static struct uci_opt **opt_link(struct uci_sec *s, const char *name)
{
	struct uci_opt **l;

	for (l = &s->opts; *l; l = &(*l)->next)
		if (!strcmp((*l)->name, name))
			return l;
	return NULL;
}

/* Unlink @o (if linked) and append it: libuci re-creates changed options. */
static void opt_move_last(struct uci_sec *s, struct uci_opt *o)
{
	struct uci_opt **l;

	for (l = &s->opts; *l; l = &(*l)->next)
		if (*l == o) {
			*l = o->next;
			break;
		}
	for (l = &s->opts; *l; l = &(*l)->next)
		;
	o->next = NULL;
	*l = o;
}

int uci_opt_del(struct uci_sec *s, const char *name)
{
	struct uci_opt **l = s && name ? opt_link(s, name) : NULL, *o;

	if (!l)
		return fail(ENOENT);
	o = *l;
	*l = o->next;
	uci_opt_free(o);
	return 0;
}

int uci_opt_set(struct uci_sec *s, const char *name, const char *value)
{
	struct uci_opt **l, *o;
	char *v;

	if (!s || !uci_name_valid(name) || !value)
		return fail(EINVAL);
	l = opt_link(s, name);
	if (!*value)	/* libuci: an empty value deletes */
		return l ? uci_opt_del(s, name) : 0;
	if (l && (*l)->type == UCI_OPT_STRING && !strcmp((*l)->value, value))
		return 0;
	v = strdup(value);
	o = l ? *l : uci_opt_alloc(name, strlen(name));
	if (!v || !o) {
		free(v);
		if (!l)
			uci_opt_free(o);
		return fail(ENOMEM);
	}
	uci_opt_clear(o);
	o->value = v;
	opt_move_last(s, o);
	return 0;
}

int uci_list_add(struct uci_sec *s, const char *name, const char *value)
{
	struct uci_opt **l, *o;

	if (!s || !uci_name_valid(name) || !value)
		return fail(EINVAL);
	l = opt_link(s, name);
	if (l && (*l)->type == UCI_OPT_LIST)
		return uci_opt_push(*l, value, strlen(value)) ? fail(ENOMEM) : 0;
	o = l ? *l : uci_opt_alloc(name, strlen(name));
	if (!o || uci_opt_to_list(o) || uci_opt_push(o, value, strlen(value))) {
		if (o && !l)
			uci_opt_free(o);
		return fail(ENOMEM);
	}
	opt_move_last(s, o);
	return 0;
}

/*
 * Unlike libuci, a list emptied here is removed, so that what we write is
 * what we read back (an empty list has no syntax).
 */
int uci_list_del(struct uci_sec *s, const char *name, const char *value)
{
	struct uci_opt **l = s && name ? opt_link(s, name) : NULL, *o;
	size_t i, j;

	if (!l || !value || (*l)->type != UCI_OPT_LIST)
		return fail(ENOENT);
	o = *l;
	for (i = j = 0; i < o->n_items; i++) {
		if (!strcmp(o->items[i], value))
			free(o->items[i]);
		else
			o->items[j++] = o->items[i];
	}
	if (j == o->n_items)
		return fail(ENOENT);
	o->n_items = j;
	return j ? 0 : uci_opt_del(s, name);
}

/* ---- comparison ---- */

static int opt_equal(const struct uci_opt *a, const struct uci_opt *b)
{
	size_t i;

	if (strcmp(a->name, b->name) || a->type != b->type)
		return 0;
	if (a->type == UCI_OPT_STRING)
		return !strcmp(a->value, b->value);
	if (a->n_items != b->n_items)
		return 0;
	for (i = 0; i < a->n_items; i++)
		if (strcmp(a->items[i], b->items[i]))
			return 0;
	return 1;
}

static int sec_equal(const struct uci_sec *a, const struct uci_sec *b)
{
	const struct uci_opt *x, *y;

	if (strcmp(a->type, b->type) || !a->name != !b->name ||
	    (a->name && strcmp(a->name, b->name)) ||
	    a->anon_index != b->anon_index)
		return 0;
	for (x = a->opts, y = b->opts; x && y; x = x->next, y = y->next)
		if (!opt_equal(x, y))
			return 0;
	return !x && !y;
}

/* Internal anonymous names are left out: libuci does not keep them either. */
int uci_pkg_equal(const struct uci_pkg *a, const struct uci_pkg *b)
{
	const struct uci_sec *x, *y;

	if (!a || !b || strcmp(a->name, b->name))
		return 0;
	for (x = a->secs, y = b->secs; x && y; x = x->next, y = y->next)
		if (!sec_equal(x, y))
			return 0;
	return !x && !y;
}
