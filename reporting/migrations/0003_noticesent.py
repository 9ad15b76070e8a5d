from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("reporting", "0002_districts"),
    ]

    operations = [
        migrations.CreateModel(
            name="NoticeSent",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("key", models.CharField(max_length=100, unique=True)),
                ("sent_at", models.DateTimeField(auto_now_add=True, db_index=True)),
            ],
        ),
    ]
