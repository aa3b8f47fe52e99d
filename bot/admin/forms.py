"""Flask-WTF forms of the console (each carries its CSRF token; labels are what staff read)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from bot.admin.models import ROLE_LABELS, ROLES

ROLE_CHOICES = [SelectChoice(r, ROLE_LABELS[r]) for r in ROLES]


class LoginForm(FlaskForm):
    username = StringField("用户名", validators=[DataRequired("请填写用户名"), Length(max=64)],
                           render_kw={"autocomplete": "username", "autocapitalize": "off"})
    password = PasswordField("密码", validators=[DataRequired("请填写密码"), Length(max=200)],
                             render_kw={"autocomplete": "current-password"})
    next = HiddenField()
    submit = SubmitField("登录")


class PasswordForm(FlaskForm):
    current = PasswordField("当前密码", validators=[DataRequired("请填写当前密码")],
                            render_kw={"autocomplete": "current-password"})
    password = PasswordField("新密码（至少 10 位）", validators=[DataRequired("请填写新密码")],
                             render_kw={"autocomplete": "new-password"})
    confirm = PasswordField("再输一次新密码", validators=[EqualTo("password", "两次输入的新密码不一致")],
                            render_kw={"autocomplete": "new-password"})
    submit = SubmitField("修改密码")


class StaffForm(FlaskForm):
    username = StringField("用户名", validators=[DataRequired("请填写用户名"), Length(max=64)],
                           render_kw={"autocomplete": "off", "autocapitalize": "off"})
    display_name = StringField("姓名（可不填）", validators=[Optional(), Length(max=64)])
    role = SelectField("角色", choices=ROLE_CHOICES, default="viewer")
    password = PasswordField("初始密码（至少 10 位）", validators=[DataRequired("请填写初始密码")],
                             render_kw={"autocomplete": "new-password"})
    submit = SubmitField("新建账号")


class ResetPasswordForm(FlaskForm):
    password = PasswordField("新密码（至少 10 位）", validators=[DataRequired("请填写新密码")],
                             render_kw={"autocomplete": "new-password"})
    submit = SubmitField("重设密码")


class RoleForm(FlaskForm):
    role = SelectField("角色", choices=ROLE_CHOICES)
    submit = SubmitField("保存角色")


class EntryForm(FlaskForm):
    title = StringField("标题", validators=[DataRequired("请填写标题"), Length(max=60)])
    questions = TextAreaField("示例问题（一行一个，至少 3 个）", validators=[DataRequired("请至少写 3 个示例问题")],
                              render_kw={"rows": 10})
    keywords = StringField("关键词（用逗号或空格分开）", validators=[Optional(), Length(max=400)])
    answer = TextAreaField("答复（不超过 600 字；本地信息写成 {{键名}}）",
                           validators=[DataRequired("请填写答复")], render_kw={"rows": 14})
    source = StringField("依据（文件名称和日期）", validators=[Optional(), Length(max=400)])
    note = StringField("修改说明（写进修改记录）", validators=[Optional(), Length(max=200)])
    submit = SubmitField("保存并写入知识库文件")


class TryForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form: trying a question changes nothing

    q = StringField("输入居民可能会问的话", validators=[DataRequired("请输入一个问题"), Length(max=300)])
    submit = SubmitField("试一试")


class SampleForm(FlaskForm):
    question = TextAreaField("示例问题", validators=[DataRequired("问题不能为空"), Length(max=200)],
                             render_kw={"rows": 2})
    entry_id = SelectField("加到哪个条目", validators=[DataRequired("请选择条目")])
    log_id = HiddenField()
    submit = SubmitField("加为示例问题")


class FactForm(FlaskForm):
    value = TextAreaField("内容", validators=[Optional(), Length(max=2000)], render_kw={"rows": 4})
    submit = SubmitField("保存")


__all__ = ["LoginForm", "PasswordForm", "StaffForm", "ResetPasswordForm", "RoleForm", "EntryForm",
           "TryForm", "SampleForm", "FactForm", "SelectChoice"]
