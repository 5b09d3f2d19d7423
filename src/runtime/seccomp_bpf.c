/* A shorter program with the same decisions as libseccomp's: libseccomp compares the syscall number with
 * every listed syscall in turn (about 1,100 instructions for podman's default profile, which the kernel
 * converts and JITs at every container start). This pass partially evaluates libseccomp's program over
 * what it can know statically, the architecture (once a comparison has fixed it) and an interval of
 * syscall numbers, and emits:
 *   - every comparison of the architecture, argument loads, argument comparisons and returns as they are
 *     (libseccomp's architecture checks, x32 handling, bad-architecture and default actions are thus kept
 *     exactly, since they are those very instructions);
 *   - in place of each chain of syscall number comparisons, a binary search over the ranges of numbers
 *     whose remaining code is identical (consecutive syscalls with the same unconditional action form one
 *     range; a syscall with argument checks gets its own range leading to those checks).
 * Nothing is guessed about libseccomp's layout: comparisons of the number are decided by the interval the
 * path has established, so the result computes the same function of (arch, nr, args) for any program in
 * the handled subset (loads of seccomp_data words, ALU with constants, conditional jumps against
 * constants, returns of constants). Anything else (X register, scratch memory, RET A...), or a program
 * that does not shrink, is reported so the caller keeps libseccomp's program unchanged. */
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "seccomp_internal.h"
#include "util/util.h"

#define MAX_NODES 65536
#define MAX_PIECES 16384
#define MAX_JUMP 255 /* jt/jf are 8 bits */
#define NR_OFF 0     /* offsetof (struct seccomp_data, nr) */
#define ARCH_OFF 4   /* offsetof (struct seccomp_data, arch) */

enum
{
  A_OPAQUE, /* whatever the last emitted instruction left: already in the register */
  A_LOAD,   /* the word at a_off of seccomp_data */
};

/* What the pass knows at one point of the original program. a_mat: the emitted code has A loaded (loads
 * are deferred until some emitted instruction reads A, so that comparisons the pass decides cost
 * nothing). */
struct state
{
  uint32_t pc;
  uint32_t lo, hi; /* the syscall number is within [lo, hi] */
  uint32_t arch;   /* when arch_known */
  uint8_t arch_known;
  uint8_t a_kind;
  uint8_t a_mat;
  uint8_t pad_;
  uint32_t a_off;
};

/* The emitted program as a DAG, hash-consed so that identical code is one node: a leaf's code identifies
 * it, and adjacent ranges whose code is the same node are merged. */
struct node
{
  uint16_t code;
  uint32_t k;
  int jt, jf; /* successors: jumps both; ld/alu jt (fall-through); ret none */
  int entry;  /* while emitting: reverse index of the nearest copy or trampoline, -1 before */
};

struct table
{
  size_t cap, n;
  int *slots; /* node or memo index + 1; 0 empty */
};

struct memo
{
  struct state key;
  int node;
};

struct opt
{
  const struct sock_filter *in;
  size_t n_in;
  struct node *nodes;
  size_t n_nodes;
  struct table node_tab;
  struct memo *memos;
  size_t n_memos, cap_memos;
  struct table memo_tab;
  bool failed;
  /* emission, built back to front */
  struct sock_filter *out;
  size_t cap_out, n_out;
};

struct piece
{
  uint32_t lo, hi;
  int node;
  int base;    /* the node for the numbers of the range that node does not single out */
  int singled; /* how many numbers node singles out (JEQ) */
};

#define MAX_SINGLED 8 /* compares on the path to a leaf: about log2 (ranges) + this */
#define MAX_RUN 2     /* single numbers in a row pulled out at once (longer runs measured no better) */

static uint64_t
hash_bytes (const void *p, size_t n)
{
  const unsigned char *b = p;
  uint64_t h = 1469598103934665603ULL;
  for (size_t i = 0; i < n; i++)
    h = (h ^ b[i]) * 1099511628211ULL;
  return h;
}

static bool
node_eq (const struct node *a, const struct node *b)
{
  return a->code == b->code && a->k == b->k && a->jt == b->jt && a->jf == b->jf;
}

static uint64_t
node_hash (const struct node *x)
{
  uint32_t v[4] = { x->code, x->k, (uint32_t) x->jt, (uint32_t) x->jf };
  return hash_bytes (v, sizeof v);
}

typedef uint64_t (*hash_fn) (struct opt *o, int idx);

static uint64_t
hash_node_idx (struct opt *o, int idx)
{
  return node_hash (&o->nodes[idx]);
}

static uint64_t
hash_memo_idx (struct opt *o, int idx)
{
  return hash_bytes (&o->memos[idx].key, sizeof o->memos[idx].key);
}

static void
table_grow (struct opt *o, struct table *t, hash_fn h)
{
  size_t cap = t->cap ? t->cap * 2 : 1024;
  int *slots = xmalloc0 (cap * sizeof *slots);
  for (size_t i = 0; i < t->cap; i++)
    if (t->slots[i])
      {
        size_t j = h (o, t->slots[i] - 1) & (cap - 1);
        while (slots[j])
          j = (j + 1) & (cap - 1);
        slots[j] = t->slots[i];
      }
  free (t->slots);
  t->slots = slots;
  t->cap = cap;
}

static int
mk (struct opt *o, uint16_t code, uint32_t k, int jt, int jf)
{
  struct node x = { code, k, jt, jf, -1 };
  if (o->failed)
    return -1;
  if ((o->node_tab.n + 1) * 2 > o->node_tab.cap)
    table_grow (o, &o->node_tab, hash_node_idx);
  size_t j = node_hash (&x) & (o->node_tab.cap - 1);
  for (; o->node_tab.slots[j]; j = (j + 1) & (o->node_tab.cap - 1))
    if (node_eq (&o->nodes[o->node_tab.slots[j] - 1], &x))
      return o->node_tab.slots[j] - 1;
  if (o->n_nodes >= MAX_NODES)
    {
      o->failed = true;
      return -1;
    }
  if ((o->n_nodes & (o->n_nodes - 1)) == 0)
    o->nodes = xrealloc (o->nodes, (o->n_nodes ? o->n_nodes * 2 : 1) * sizeof *o->nodes);
  o->nodes[o->n_nodes] = x;
  o->node_tab.slots[j] = (int) ++o->n_nodes;
  o->node_tab.n++;
  return (int) o->n_nodes - 1;
}

static int *
memo_slot (struct opt *o, const struct state *s)
{
  if ((o->memo_tab.n + 1) * 2 > o->memo_tab.cap)
    table_grow (o, &o->memo_tab, hash_memo_idx);
  size_t j = hash_bytes (s, sizeof *s) & (o->memo_tab.cap - 1);
  for (; o->memo_tab.slots[j]; j = (j + 1) & (o->memo_tab.cap - 1))
    if (memcmp (&o->memos[o->memo_tab.slots[j] - 1].key, s, sizeof *s) == 0)
      return &o->memos[o->memo_tab.slots[j] - 1].node;
  if (o->n_memos == o->cap_memos)
    {
      o->cap_memos = o->cap_memos ? o->cap_memos * 2 : 1024;
      o->memos = xrealloc (o->memos, o->cap_memos * sizeof *o->memos);
    }
  o->memos[o->n_memos] = (struct memo){ *s, -2 };
  o->memo_tab.slots[j] = (int) ++o->n_memos;
  o->memo_tab.n++;
  return NULL;
}

/* ---- deciding comparisons ---- */

enum
{
  UNDECIDED = -1
};

/* The outcome of a conditional jump against k for every value in [lo, hi], or UNDECIDED. */
static int
decide (uint16_t op, uint32_t k, uint32_t lo, uint32_t hi)
{
  switch (op)
    {
    case BPF_JEQ:
      if (k < lo || k > hi)
        return 0;
      return lo == hi ? 1 : UNDECIDED;
    case BPF_JGT:
      return lo > k ? 1 : hi <= k ? 0 : UNDECIDED;
    case BPF_JGE:
      return lo >= k ? 1 : hi < k ? 0 : UNDECIDED;
    case BPF_JSET:
      {
        if (lo == hi)
          return (lo & k) != 0;
        /* values in [lo, hi] share the bits above the highest bit where lo and hi differ */
        uint32_t below = UINT32_MAX >> __builtin_clz (lo ^ hi);
        if ((k & ~below & lo) != 0)
          return 1;
        if ((k & below) == 0)
          return 0;
        return UNDECIDED;
      }
    }
  return UNDECIDED;
}

/* Where to cut [lo, hi] so that the comparison gets closer to decided on [lo, c-1] and [c, hi]. */
static uint32_t
cut (uint16_t op, uint32_t k, uint32_t lo, uint32_t hi)
{
  switch (op)
    {
    case BPF_JEQ:
      return lo < k ? k : k + 1;
    case BPF_JGT:
      return k + 1;
    case BPF_JGE:
      return k;
    default: /* JSET: the top of the range where the highest differing bit is set */
      return hi & ~(UINT32_MAX >> __builtin_clz (lo ^ hi) >> 1);
    }
}

static bool
handled (const struct sock_filter *i)
{
  switch (BPF_CLASS (i->code))
    {
    case BPF_LD:
      return i->code == (BPF_LD | BPF_W | BPF_ABS) && i->k % 4 == 0 && i->k + 4 <= sizeof (struct seccomp_data);
    case BPF_ALU:
      return BPF_SRC (i->code) == BPF_K && BPF_OP (i->code) != BPF_DIV && BPF_OP (i->code) != BPF_MOD;
    case BPF_JMP:
      return i->code == (BPF_JMP | BPF_JA)
             || (BPF_SRC (i->code) == BPF_K
                 && (BPF_OP (i->code) == BPF_JEQ || BPF_OP (i->code) == BPF_JGT || BPF_OP (i->code) == BPF_JGE
                     || BPF_OP (i->code) == BPF_JSET));
    case BPF_RET:
      return BPF_RVAL (i->code) == BPF_K;
    default:
      return false;
    }
}

/* ---- partial evaluation ---- */

static int gen (struct opt *o, struct state s);

static bool
is_nr (const struct state *s)
{
  return s->a_kind == A_LOAD && s->a_off == NR_OFF;
}

static bool
is_known_arch (const struct state *s)
{
  return s->a_kind == A_LOAD && s->a_off == ARCH_OFF && s->arch_known;
}

/* A node that loads A first when s has not yet. */
static int
materialized (struct opt *o, const struct state *s, int node)
{
  if (s->a_mat || s->a_kind != A_LOAD)
    return node;
  return mk (o, BPF_LD | BPF_W | BPF_ABS, s->a_off, node, -1);
}

/* Follows jumps and loads the pass decides; stops at the first instruction it must emit. false: the
 * program jumps out of its end. */
static bool
advance (struct opt *o, struct state *s)
{
  for (;;)
    {
      if (s->pc >= o->n_in || !handled (&o->in[s->pc]))
        return false;
      const struct sock_filter *i = &o->in[s->pc];
      if (BPF_CLASS (i->code) == BPF_LD)
        {
          if (!(s->a_kind == A_LOAD && s->a_off == i->k)) /* a reload of what A holds changes nothing */
            {
              s->a_kind = A_LOAD;
              s->a_off = i->k;
              s->a_mat = false;
            }
          s->pc++;
          continue;
        }
      if (i->code == (BPF_JMP | BPF_JA))
        {
          s->pc += 1 + i->k;
          continue;
        }
      if (BPF_CLASS (i->code) == BPF_JMP)
        {
          int t = UNDECIDED;
          if (is_nr (s))
            t = decide (BPF_OP (i->code), i->k, s->lo, s->hi);
          else if (is_known_arch (s))
            t = decide (BPF_OP (i->code), i->k, s->arch, s->arch);
          if (t != UNDECIDED)
            {
              s->pc += 1 + (t ? i->jt : i->jf);
              continue;
            }
        }
      return true;
    }
}

static int
piece_cmp (const void *a, const void *b)
{
  const struct piece *x = a, *y = b;
  return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static int
search_tree (struct opt *o, const struct piece *p, size_t i, size_t j)
{
  if (i == j)
    return p[i].node;
  size_t mid = (i + j + 1) / 2;
  int right = search_tree (o, p, mid, j);
  int left = search_tree (o, p, i, mid - 1);
  if (right < 0 || left < 0)
    return -1;
  return mk (o, BPF_JMP | BPF_JGE | BPF_K, p[mid].lo, right, left);
}

/* s stops at a comparison of the syscall number that its interval does not decide: split the interval
 * into pieces on which every comparison of the number up to the next instruction to emit is decided,
 * generate each piece's code, merge neighbours whose code is the same, and search them. */
static int
dispatch (struct opt *o, struct state s)
{
  struct state *stack = xmalloc (MAX_PIECES * sizeof *stack);
  struct piece *pieces = xmalloc (MAX_PIECES * sizeof *pieces);
  size_t n_stack = 0, n_pieces = 0;
  int result = -1;
  /* the binary search keeps the number in A */
  struct state start = s;
  start.a_mat = true;
  stack[n_stack++] = start;
  while (n_stack > 0)
    {
      struct state t = stack[--n_stack];
      if (!advance (o, &t))
        goto out;
      const struct sock_filter *i = &o->in[t.pc];
      if (BPF_CLASS (i->code) == BPF_JMP && is_nr (&t))
        {
          if (n_stack + 2 > MAX_PIECES)
            goto out;
          uint32_t c = cut (BPF_OP (i->code), i->k, t.lo, t.hi);
          struct state a = t, b = t;
          a.hi = c - 1;
          b.lo = c;
          stack[n_stack++] = b;
          stack[n_stack++] = a;
          continue;
        }
      if (n_pieces == MAX_PIECES)
        goto out;
      /* the number is in A exactly when the last load was of it */
      t.a_mat = is_nr (&t);
      int node = gen (o, t);
      if (node < 0)
        goto out;
      pieces[n_pieces++] = (struct piece){ t.lo, t.hi, node, node, 0 };
    }
  qsort (pieces, n_pieces, sizeof *pieces, piece_cmp);
  /* neighbours with the same code: one range */
  size_t m = 0;
  for (size_t k = 0; k < n_pieces; k++)
    {
      if (m > 0 && pieces[m - 1].node == pieces[k].node)
        pieces[m - 1].hi = pieces[k].hi;
      else
        pieces[m++] = pieces[k];
    }
  /* r single numbers between two ranges with the same code: r JEQs in the merged range's code instead of
   * r + 1 bounds in the search (ranges of allowed syscalls with an exception or two, say) */
  size_t w = 0;
  for (size_t k = 0; k < m; k++)
    {
      size_t r = 0;
      if (w > 0)
        while (k + r < m && r < MAX_RUN && pieces[k + r].lo == pieces[k + r].hi
               && pieces[w - 1].singled + (int) r < MAX_SINGLED)
          r++;
      while (r > 0
             && !(k + r < m && pieces[k + r].node == pieces[k + r].base && pieces[k + r].node == pieces[w - 1].base))
        r--;
      if (r == 0)
        {
          pieces[w++] = pieces[k];
          continue;
        }
      struct piece *l = &pieces[w - 1];
      for (size_t q = 0; q < r; q++)
        {
          l->node = mk (o, BPF_JMP | BPF_JEQ | BPF_K, pieces[k + q].lo, pieces[k + q].node, l->node);
          if (l->node < 0)
            goto out;
        }
      l->singled += (int) r;
      l->hi = pieces[k + r].hi;
      k += r;
    }
  m = w;
  result = search_tree (o, pieces, 0, m - 1);
  result = result < 0 ? -1 : materialized (o, &s, result);
out:
  free (stack);
  free (pieces);
  if (result < 0)
    o->failed = true;
  return result;
}

static int
gen (struct opt *o, struct state s)
{
  if (o->failed || !advance (o, &s))
    {
      o->failed = true;
      return -1;
    }
  int *slot = memo_slot (o, &s);
  if (slot)
    {
      if (*slot == -2) /* cannot happen with forward jumps only */
        o->failed = true;
      return *slot;
    }
  size_t memo_idx = o->n_memos - 1;
  const struct sock_filter *i = &o->in[s.pc];
  int node = -1;
  switch (BPF_CLASS (i->code))
    {
    case BPF_RET:
      node = mk (o, i->code, i->k, -1, -1);
      break;
    case BPF_ALU:
      {
        struct state n = s;
        n.pc++;
        n.a_kind = A_OPAQUE;
        n.a_mat = true;
        int next = gen (o, n);
        if (next >= 0)
          node = materialized (o, &s, mk (o, i->code, i->k, next, -1));
        break;
      }
    case BPF_JMP:
      {
        if (is_nr (&s))
          {
            node = dispatch (o, s);
            break;
          }
        struct state t = s, f = s;
        t.pc += 1 + i->jt;
        f.pc += 1 + i->jf;
        t.a_mat = f.a_mat = true;
        if (s.a_kind == A_LOAD && s.a_off == ARCH_OFF && BPF_OP (i->code) == BPF_JEQ)
          {
            t.arch_known = true; /* (not known in f: nothing says which other one it is) */
            t.arch = i->k;
          }
        int jt = gen (o, t), jf = gen (o, f);
        if (jt >= 0 && jf >= 0)
          node = materialized (o, &s, mk (o, i->code, i->k, jt, jf));
        break;
      }
    }
  if (node < 0)
    o->failed = true;
  o->memos[memo_idx].node = node;
  return node;
}

/* ---- emission, back to front so that every target's place is known ---- */

static int
put (struct opt *o, uint16_t code, uint32_t k, uint8_t jt, uint8_t jf)
{
  if (o->n_out == o->cap_out)
    {
      o->failed = true;
      return -1;
    }
  o->out[o->cap_out - 1 - o->n_out] = (struct sock_filter){ code, jt, jf, k };
  return (int) o->n_out++;
}

/* Make node x enterable within max instructions after the next one put: a copy of a return, or a
 * trampoline. */
static void
reach (struct opt *o, int x, size_t max)
{
  struct node *n = &o->nodes[x];
  if (o->failed || o->n_out - (size_t) n->entry - 1 <= max)
    return;
  int r = BPF_CLASS (n->code) == BPF_RET
              ? put (o, n->code, n->k, 0, 0)
              : put (o, BPF_JMP | BPF_JA, (uint32_t) (o->n_out - (size_t) n->entry - 1), 0, 0);
  if (r >= 0)
    n->entry = r;
}

static void
place (struct opt *o, int x)
{
  if (o->failed || o->nodes[x].entry >= 0)
    return;
  struct node n = o->nodes[x];
  int r;
  if (BPF_CLASS (n.code) == BPF_RET)
    r = put (o, n.code, n.k, 0, 0);
  else if (BPF_CLASS (n.code) == BPF_JMP)
    {
      place (o, n.jf);
      place (o, n.jt); /* the true branch right after the jump */
      if (o->failed)
        return;
      reach (o, n.jt, MAX_JUMP - 1); /* room for the false branch's trampoline */
      reach (o, n.jf, MAX_JUMP);
      if (o->failed)
        return;
      r = put (o, n.code, n.k, (uint8_t) (o->n_out - (size_t) o->nodes[n.jt].entry - 1),
               (uint8_t) (o->n_out - (size_t) o->nodes[n.jf].entry - 1));
    }
  else
    {
      place (o, n.jt);
      reach (o, n.jt, 0); /* falls through */
      r = put (o, n.code, n.k, 0, 0);
    }
  if (r >= 0)
    o->nodes[x].entry = r;
}

size_t
skiff_seccomp_bpf_optimize (const struct sock_filter *in, size_t n_in, struct sock_filter *out, size_t max_out)
{
  struct opt o = { .in = in, .n_in = n_in, .cap_out = max_out };
  size_t n = 0;
  struct state s = { 0 };
  s.lo = 0;
  s.hi = UINT32_MAX;
  s.a_kind = A_OPAQUE; /* A starts as 0, in both programs */
  s.a_mat = true;
  int root = gen (&o, s);
  if (root >= 0 && !o.failed)
    {
      o.out = xmalloc (max_out * sizeof *o.out);
      place (&o, root);
      if (!o.failed && o.nodes[root].entry == (int) o.n_out - 1)
        {
          n = o.n_out;
          memcpy (out, o.out + (max_out - n), n * sizeof *out);
        }
      free (o.out);
    }
  free (o.nodes);
  free (o.node_tab.slots);
  free (o.memos);
  free (o.memo_tab.slots);
  return n;
}
