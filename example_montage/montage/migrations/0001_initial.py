from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = [migrations.swappable_dependency(settings.AUTH_USER_MODEL)]
    operations = [
        migrations.CreateModel(
            name="Tag",
            fields=[
                ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=40, unique=True)),
            ],
        ),
        migrations.CreateModel(
            name="Clip",
            fields=[
                ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("title", models.CharField(max_length=100)),
                ("seconds", models.PositiveIntegerField(default=1)),
                (
                    "owner",
                    models.ForeignKey(on_delete=models.CASCADE, related_name="clips", to=settings.AUTH_USER_MODEL),
                ),
                ("tags", models.ManyToManyField(blank=True, related_name="clips", to="montage.Tag")),
            ],
            options={"ordering": ["id"]},
        ),
    ]
