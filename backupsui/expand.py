"""Expand, then contract: the migration operation every expanding change is wrapped in.

A release adds tables, columns (each with a database default or nullable), constraints and
indexes, and gives columns database defaults; the previous release's code runs on that schema
while replicas roll, and ignores what it does not know. So migrating back one release leaves
all of it in the database, with what the newer release wrote in it, and migrating forward
again finds it there and carries on: `Expand(migrations.AddField(...))`.

Django's record of the migration (and so its idea of the schema) still moves back and
forth; only the database is left as the newer release made it. What the older release needs
gone is removed one release later, by a migration of its own (the contract step)."""

from django.db import migrations
from django.db.migrations.operations.base import Operation
from django.db.models import NOT_PROVIDED


class Expand(Operation):
    """Wraps AddField, CreateModel, AddConstraint, AddIndex or AlterField (a database default
    given): forwards it does what the operation does, unless that is in the database already
    (a rollback left it); backwards it does nothing."""

    def __init__(self, operation: Operation):
        kinds = (
            migrations.AddField,
            migrations.CreateModel,
            migrations.AddConstraint,
            migrations.AddIndex,
            migrations.AlterField,
        )
        if not isinstance(operation, kinds):
            raise TypeError(f"Expand wraps only an expanding operation, not {operation!r}")
        self.operation = operation

    def deconstruct(self):
        return ("backupsui.expand.Expand", [self.operation], {})

    def state_forwards(self, app_label, state):
        self.operation.state_forwards(app_label, state)

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if not self._in_database(app_label, schema_editor, to_state):
            self.operation.database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        """Left in place: the older release ignores it (and what the newer one wrote in it
        stays for when the newer release comes back)."""

    def describe(self):
        return f"{self.operation.describe()} (kept when migrating back)"

    @property
    def migration_name_fragment(self):
        return self.operation.migration_name_fragment

    def references_model(self, name, app_label):
        return self.operation.references_model(name, app_label)

    def _in_database(self, app_label, schema_editor, to_state) -> bool:
        operation, connection = self.operation, schema_editor.connection
        if isinstance(operation, migrations.AlterField):
            return False  # giving a column its default again changes nothing
        model_name = getattr(operation, "model_name", None) or operation.name
        model = to_state.apps.get_model(app_label, model_name)
        table = model._meta.db_table
        with connection.cursor() as cursor:
            introspection = connection.introspection
            if table not in introspection.table_names(cursor):
                return False
            if isinstance(operation, migrations.CreateModel):
                return True
            if isinstance(operation, migrations.AddField):
                field = model._meta.get_field(operation.name)
                if field.many_to_many:
                    return field.remote_field.through._meta.db_table in (
                        introspection.table_names(cursor)
                    )
                columns = introspection.get_table_description(cursor, table)
                return field.column in {column.name for column in columns}
            named = getattr(operation, "constraint", None) or operation.index
            return named.name in introspection.get_constraints(cursor, table)


class DatabaseDefault(Operation):
    """Gives a column its field's database default (`db_default`) in databases that lack it,
    whatever Django's record says: for a column whose migration was changed to add it with its
    default from the start, on databases that applied that migration before. Changes nothing
    in Django's record of the schema; migrating back leaves the default (as Expand does)."""

    def __init__(self, model_name: str, name: str):
        self.model_name, self.name = model_name, name

    def deconstruct(self):
        return ("backupsui.expand.DatabaseDefault", [self.model_name, self.name], {})

    def state_forwards(self, app_label, state):
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        field = model._meta.get_field(self.name)
        connection = schema_editor.connection
        with connection.cursor() as cursor:
            columns = connection.introspection.get_table_description(cursor, model._meta.db_table)
        [column] = [column for column in columns if column.name == field.column]
        if column.default is not None:
            return  # it has one (given when the column was added)
        without = field.clone()
        without.db_default = NOT_PROVIDED
        without.set_attributes_from_name(field.name)
        without.model = model
        schema_editor.alter_field(model, without, field)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        """Left in place, as Expand leaves what it added."""

    def describe(self):
        return f"Give {self.model_name}.{self.name} its database default, where it lacks it"
