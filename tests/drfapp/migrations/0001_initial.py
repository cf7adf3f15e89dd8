from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = [migrations.swappable_dependency(settings.AUTH_USER_MODEL)]
    operations = [
        migrations.CreateModel(
            name="Tag",
            fields=[
                ("id", models.AutoField(primary_key=True, serialize=False)),
                ("name", models.CharField(max_length=40, unique=True)),
            ],
        ),
        migrations.CreateModel(
            name="Book",
            fields=[
                ("id", models.AutoField(primary_key=True, serialize=False)),
                ("title", models.CharField(max_length=100, unique=True)),
                (
                    "owner",
                    models.ForeignKey(on_delete=models.CASCADE, related_name="drf_books", to=settings.AUTH_USER_MODEL),
                ),
                ("tags", models.ManyToManyField(blank=True, to="drfapp.Tag")),
            ],
        ),
    ]
