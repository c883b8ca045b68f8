"""Writes inside one registry transaction (the RegistryTransaction protocol).

Immutability is the database's job: the unique key ``uq_entities_key`` decides which of two racing
registrations wins. The insert is ``INSERT … ON CONFLICT (key) DO NOTHING``: the loser's insert
waits for the winner's commit, inserts nothing (the unique-key violation, without aborting the
transaction the way a caught IntegrityError would on PostgreSQL), and re-reads the winner's row,
so identical content is a no-op and different content an ImmutabilityError with a spec diff.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa

from flowctl._address import Address, EntityKind
from flowctl._errors import ApplyError, ImmutabilityError, InputError, StoreError
from flowctl._names import check_entity_name, check_project_domain, check_project_name, check_version, summary
from flowctl.spec import DomainSettingsSpec, Json, ProjectSpec, canonical_json
from flowctl.state._convert import ENTITY_COLUMNS, entities_from_rows, entity_columns, entity_from_row
from flowctl.state._diff import spec_diff
from flowctl.state._interface import ApplyRecord, EntityKey, RegisterItem, RegisterResult, StoredEntity
from flowctl.state._tables import ActivationRow, ApplyRow, DomainRow, EntityRow, MetaRow, ProjectRow, table
from flowctl.state._types import utcnow

_meta = table(MetaRow)
_projects = table(ProjectRow)
_domains = table(DomainRow)
_entities = table(EntityRow)
_activations = table(ActivationRow)
_applies = table(ApplyRow)

# Statements built once (building a statement costs more than running it on SQLite).
_FIND_ENTITY = sa.select(*ENTITY_COLUMNS).where(
    _entities.c.kind == sa.bindparam("kind"),
    _entities.c.project == sa.bindparam("project"),
    _entities.c.domain == sa.bindparam("domain"),
    _entities.c.name == sa.bindparam("name"),
    _entities.c.version == sa.bindparam("version"),
)
_KEY_COLUMNS = ["kind", "project", "domain", "name", "version"]


@functools.cache
def _inserts(dialect: str) -> tuple[Any, Any]:
    """``INSERT ... ON CONFLICT DO NOTHING`` of one entity (RETURNING its id) and of many (RETURNING the
    keys inserted), built on first use: a SQLite registry never imports the PostgreSQL dialect.

    ON CONFLICT DO NOTHING on the unique key: the database decides which of two racing inserts wins
    (the loser waits for the winner's commit on PostgreSQL), without aborting the transaction. Bulk
    registration (``register_many``) inserts with ``executemany`` (SQLAlchemy batches the rows into
    multi-row INSERT ... RETURNING statements) and reads the rows that were there already in a few
    ``(key) IN (...)`` queries. RETURNING gives the keys actually inserted.
    """
    base: Any
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert

        base = insert(_entities).on_conflict_do_nothing(constraint="uq_entities_key")
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        base = sqlite_insert(_entities).on_conflict_do_nothing(index_elements=_KEY_COLUMNS)
    return base.returning(_entities.c.id), base.returning(*(_entities.c[c] for c in _KEY_COLUMNS))


_FIND_ENTITIES = {
    dialect: sa.select(*entity_columns(dialect)).where(
        _entities.c.kind == sa.bindparam("kind"),
        _entities.c.project == sa.bindparam("project"),
        _entities.c.domain == sa.bindparam("domain"),
        _entities.c.version == sa.bindparam("version"),
        _entities.c.name.in_(sa.bindparam("names", expanding=True)),
    )
    for dialect in ("sqlite", "postgresql")
}
_ACTIVATION_KEY = sa.tuple_(_activations.c.project, _activations.c.domain, _activations.c.name)
_UPDATE_ACTIVATION = _activations.update().where(
    (_activations.c.project == sa.bindparam("k_project")) & (_activations.c.domain == sa.bindparam("k_domain"))
    & (_activations.c.name == sa.bindparam("k_name"))
).values(version=sa.bindparam("version"), activated_at=sa.bindparam("activated_at"),
         managed_by=sa.bindparam("managed_by"), activated_by=sa.bindparam("activated_by"))
_CHUNK = 500  # keys per IN (...) query


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


_KIND_LABEL = {EntityKind.TASK: "task", EntityKind.WORKFLOW: "workflow", EntityKind.LAUNCH_PLAN: "launch plan"}


def _check_names(*problems: str | None) -> None:
    for problem in problems:
        if problem:
            raise InputError(summary(problem), detail=problem)


class SqlTransaction:
    """Created by ``SqlStore.transaction``; valid only inside its ``with`` block."""

    def __init__(self, conn: sa.Connection, *, expected_serial: int | None) -> None:
        self._conn = conn
        query = sa.select(_meta.c.lineage, _meta.c.serial).where(_meta.c.id == 1)
        if conn.dialect.name == "postgresql":
            query = query.with_for_update()
        row = conn.execute(query).one()
        self.lineage: str = row.lineage
        self._start_serial: int = row.serial
        self.serial: int = row.serial  # the serial after this transaction (once committed)
        self.wrote = False
        if expected_serial is not None and expected_serial != self._start_serial:
            raise ApplyError(
                f"Plan is stale: the registry changed after this plan was made "
                f"(serial {expected_serial} -> {self._start_serial}).",
                detail="Run `flowctl plan` again.",
            )

    def _wrote(self) -> None:
        self.wrote = True
        self.serial = self._start_serial + 1

    def commit_serial(self) -> None:
        """Called by the store at the end of the block: one serial increment if anything was written."""
        if self.wrote:
            self._conn.execute(_meta.update().where(_meta.c.id == 1).values(serial=_meta.c.serial + 1))

    # ------------------------------------------------------------ projects and domains
    def upsert_project(self, spec: ProjectSpec, *, managed_by: str) -> None:
        _check_names(check_project_name(spec.name), *(check_project_domain(spec.name, d) for d in spec.domains))
        data = spec.to_json()
        row = self._conn.execute(
            sa.select(_projects.c.spec, _projects.c.state, _projects.c.managed_by).where(_projects.c.name == spec.name)
        ).first()
        values = {
            "description": spec.description, "labels": dict(spec.labels), "spec": data, "state": "active",
            "managed_by": managed_by, "updated_at": utcnow(),
        }
        if row is None:
            self._conn.execute(_projects.insert().values(name=spec.name, created_at=utcnow(), **values))
            self._wrote()
        elif canonical_json(row.spec) != canonical_json(data) or row.state != "active" or row.managed_by != managed_by:
            self._conn.execute(_projects.update().where(_projects.c.name == spec.name).values(**values))
            self._wrote()
        existing = set(self._conn.execute(sa.select(_domains.c.name).where(_domains.c.project == spec.name)).scalars())
        for domain in spec.domains:
            if domain not in existing:
                self._conn.execute(
                    _domains.insert().values(project=spec.name, name=domain, settings=None, managed_by=managed_by, updated_at=utcnow())
                )
                self._wrote()

    def archive_project(self, name: str) -> None:
        state = self._conn.execute(sa.select(_projects.c.state).where(_projects.c.name == name)).scalar()
        if state is None:
            raise StoreError(f"Unknown project `{name}`", detail="Only a registered project can be archived.")
        if state != "archived":
            self._conn.execute(_projects.update().where(_projects.c.name == name).values(state="archived", updated_at=utcnow()))
            self._wrote()

    def upsert_domain_settings(self, spec: DomainSettingsSpec, *, managed_by: str) -> None:
        _check_names(check_project_domain(spec.project, spec.domain))
        data = spec.to_json()
        where = (_domains.c.project == spec.project) & (_domains.c.name == spec.domain)
        row = self._conn.execute(sa.select(_domains.c.settings, _domains.c.managed_by).where(where)).first()
        if row is None:
            self._conn.execute(
                _domains.insert().values(project=spec.project, name=spec.domain, settings=data, managed_by=managed_by, updated_at=utcnow())
            )
        elif row.settings is None or canonical_json(row.settings) != canonical_json(data) or row.managed_by != managed_by:
            self._conn.execute(_domains.update().where(where).values(settings=data, managed_by=managed_by, updated_at=utcnow()))
        else:
            return
        self._wrote()

    # ------------------------------------------------------------ versioned entities
    def register(
        self,
        kind: EntityKind,
        project: str,
        domain: str,
        name: str,
        version: str,
        spec: dict[str, Json],
        digest: str,
        *,
        managed_by: str,
        created_by: str,
        bundle_uri: str | None = None,
    ) -> RegisterResult:
        """Idempotent for identical content; raises ImmutabilityError (with a spec diff) otherwise."""
        kind = EntityKind(kind)
        _check_names(check_project_domain(project, domain), check_entity_name(name), check_version(version))
        key = (kind, project, domain, name, version)
        # Insert first (one round trip for a new version, the common case in an apply); when the key
        # exists, the insert does nothing and the stored row decides: no-op or ImmutabilityError.
        entity = StoredEntity(kind, project, domain, name, version, digest, spec, utcnow(), created_by, managed_by, bundle_uri)
        inserted_id = self._conn.execute(
            _inserts(self._conn.dialect.name)[0],
            {
                "kind": kind.value, "project": project, "domain": domain, "name": name, "version": version,
                "digest": digest, "spec": spec, "created_at": entity.created_at, "created_by": created_by,
                "managed_by": managed_by, "bundle_uri": bundle_uri,
            },
        ).scalar()
        if inserted_id is None:
            # Stored already, possibly by a writer that committed while we waited on the unique index.
            existing = self._find(*key)
            if existing is None:
                raise StoreError(f"Registration of {name}@{version} conflicted, but no stored version was found")
            return self._compare(existing, spec, digest)
        self._wrote()
        return RegisterResult(entity, created=True)

    def register_many(self, items: Sequence[RegisterItem], *, managed_by: str,
                      created_by: str) -> list[RegisterResult]:
        """``register`` for each item, in order: one batched insert, then one read of the keys stored already.

        The outcome is the one-by-one outcome: new keys are created, identical content is a no-op,
        different content raises ImmutabilityError (the transaction then writes nothing).
        """
        keyed: list[tuple[EntityKey, RegisterItem]] = []
        rows: dict[EntityKey, dict[str, Any]] = {}
        now = utcnow()
        for item in items:
            kind = EntityKind(item.kind)
            _check_names(check_project_domain(item.project, item.domain), check_entity_name(item.name),
                         check_version(item.version))
            key = (kind, item.project, item.domain, item.name, item.version)
            keyed.append((key, item))
            if key not in rows:  # a key given twice: the second compares with the first, as one by one
                rows[key] = {
                    "kind": kind.value, "project": item.project, "domain": item.domain, "name": item.name,
                    "version": item.version, "digest": item.digest, "spec": item.spec, "created_at": now,
                    "created_by": created_by, "managed_by": managed_by, "bundle_uri": item.bundle_uri,
                }
        if not rows:
            return []
        inserted: set[EntityKey] = set()
        statement = _inserts(self._conn.dialect.name)[1]
        params = list(rows.values())
        for chunk in _chunks(params):
            result = self._conn.execute(statement, list(chunk))
            inserted.update((EntityKind(r[0]), r[1], r[2], r[3], r[4]) for r in result)
        if inserted:
            self._wrote()
        stored = self._find_many([key for key in rows if key not in inserted])
        results: list[RegisterResult] = []
        seen: set[EntityKey] = set()
        for key, item in keyed:
            if key in inserted and key not in seen:
                seen.add(key)
                entity = StoredEntity(key[0], item.project, item.domain, item.name, item.version, item.digest,
                                      item.spec, now, created_by, managed_by, item.bundle_uri)
                stored[key] = entity
                results.append(RegisterResult(entity, created=True))
                continue
            existing = stored.get(key)
            if existing is None:
                raise StoreError(f"Registration of {item.name}@{item.version} conflicted, but no stored version "
                                 "was found")
            results.append(self._compare(existing, item.spec, item.digest))
        return results

    def _find_many(self, keys: Sequence[EntityKey]) -> dict[EntityKey, StoredEntity]:
        """The stored rows of ``keys``: one indexed query per (kind, project, domain, version) and 500 names."""
        groups: dict[tuple[EntityKind, str, str, str], list[str]] = {}
        for kind, project, domain, name, version in keys:
            groups.setdefault((kind, project, domain, version), []).append(name)
        found: dict[EntityKey, StoredEntity] = {}
        dialect = self._conn.dialect.name
        for (kind, project, domain, version), names in groups.items():
            for chunk in _chunks(names):
                params = {"kind": kind.value, "project": project, "domain": domain, "version": version,
                          "names": list(chunk)}
                for entity in entities_from_rows(self._conn.execute(_FIND_ENTITIES[dialect], params), dialect):
                    found[entity.key] = entity
        return found

    def _find(self, kind: EntityKind, project: str, domain: str, name: str, version: str) -> StoredEntity | None:
        params = {"kind": kind.value, "project": project, "domain": domain, "name": name, "version": version}
        row = self._conn.execute(_FIND_ENTITY, params).first()
        return entity_from_row(row) if row is not None else None

    @staticmethod
    def _compare(existing: StoredEntity, spec: dict[str, Any], digest: str) -> RegisterResult:
        if existing.digest == digest:
            return RegisterResult(existing, created=False)
        label = f"{_KIND_LABEL[existing.kind]} {existing.name}"
        address = Address.entity(existing.kind, existing.project, existing.domain, existing.name, existing.version)
        lines = spec_diff(existing.spec, spec, label=label)
        raise ImmutabilityError(
            f"{label[0].upper()}{label[1:]} version {existing.version} already exists with different content",
            address=str(address),
            detail="\n".join(
                [
                    *(f"- {line}" for line in lines),
                    f"Stored digest {existing.digest}, new digest {digest}.",
                    f"Versions are immutable: register a new version instead of changing {existing.version} "
                    "(bump the version, or use git-SHA or content-hash versions).",
                ]
            ),
        )

    # ------------------------------------------------------------ activation
    def activate(self, project: str, domain: str, name: str, version: str, *, managed_by: str,
                 activated_by: str = "") -> None:
        """Make ``version`` the one active version of the launch plan (replacing any other).

        ``activated_at``/``activated_by`` say when and by whom ``version`` became active; a change of
        ``managed_by`` alone keeps them (promotion soak times count from the activation)."""
        self.activate_many([(project, domain, name, version)], managed_by=managed_by, activated_by=activated_by)

    def activate_many(self, items: Sequence[tuple[str, str, str, str]], *, managed_by: str,
                      activated_by: str = "") -> None:
        """``activate(project, domain, name, version)`` for each item, in order, in a few round trips."""
        if not items:
            return
        wanted = list(dict.fromkeys((EntityKind.LAUNCH_PLAN, p, d, n, v) for p, d, n, v in items))
        registered = self._find_many(wanted)
        for key in wanted:
            if key not in registered:
                _, project, domain, name, version = key
                raise StoreError(
                    f"Cannot activate launch plan {name} version {version}: it is not registered",
                    address=str(Address.entity(EntityKind.LAUNCH_PLAN, project, domain, name, version)),
                    detail="Register the launch plan version first (flowctl apply registers before it activates).",
                )
        current = self._current_activations(list(dict.fromkeys((p, d, n) for p, d, n, _ in items)))
        final: dict[tuple[str, str, str], str] = {}
        for project, domain, name, version in items:  # the last activation of a launch plan wins
            final[(project, domain, name)] = version
        now = utcnow()
        inserts, updates = [], []
        for (project, domain, name), version in final.items():
            before = current.get((project, domain, name))
            if before is None:
                inserts.append({"project": project, "domain": domain, "name": name, "version": version,
                                "activated_at": now, "managed_by": managed_by, "activated_by": activated_by})
            elif (before.version, before.managed_by) != (version, managed_by):
                moved = before.version != version
                updates.append({"k_project": project, "k_domain": domain, "k_name": name, "version": version,
                                "activated_at": now if moved else before.activated_at, "managed_by": managed_by,
                                "activated_by": activated_by if moved else before.activated_by})
        if inserts:
            self._conn.execute(_activations.insert(), inserts)
        if updates:
            self._conn.execute(_UPDATE_ACTIVATION, updates)
        if inserts or updates:
            self._wrote()

    def _current_activations(self, names: list[tuple[str, str, str]]) -> dict[tuple[str, str, str], Any]:
        current: dict[tuple[str, str, str], Any] = {}
        c = _activations.c
        for chunk in _chunks(names):
            query = sa.select(c.project, c.domain, c.name, c.version, c.managed_by, c.activated_at,
                              c.activated_by).where(_ACTIVATION_KEY.in_(list(chunk)))
            for row in self._conn.execute(query):
                current[(row.project, row.domain, row.name)] = row
        return current

    def deactivate(self, project: str, domain: str, name: str) -> None:
        where = (_activations.c.project == project) & (_activations.c.domain == domain) & (_activations.c.name == name)
        if self._conn.execute(_activations.delete().where(where)).rowcount:
            self._wrote()

    # ------------------------------------------------------------ history
    def record_apply(self, record: ApplyRecord) -> None:
        """Append to the apply history; ``serial`` and ``lineage`` are this transaction's, not the record's."""
        self._wrote()
        self._conn.execute(
            _applies.insert().values(
                serial=self.serial, lineage=self.lineage, applied_at=record.applied_at, user=record.user,
                host=record.host, ci_run_url=record.ci_run_url, operation=record.operation, plan=record.plan,
                desired_state=record.desired_state, summary=record.summary,
            )
        )
