"""A standard DRF router project: a ModelViewSet on a DefaultRouter (format suffixes on), under /api/."""

from django.contrib.auth.models import Group
from django.urls import include, path
from rest_framework import routers, serializers, viewsets
from rest_framework.permissions import IsAuthenticated


class GroupSerializer(serializers.ModelSerializer[Group]):
    class Meta:
        model = Group
        fields = ["id", "name"]


class GroupViewSet(viewsets.ModelViewSet[Group]):
    queryset = Group.objects.all()
    serializer_class = GroupSerializer
    permission_classes = [IsAuthenticated]


router = routers.DefaultRouter()  # include_format_suffixes=True: "groups.json", "groups/1.json"
router.register("groups", GroupViewSet)

urlpatterns = [path("api/", include(router.urls))]
